import { toErrorInfo } from '../engine/errors.ts';
import { jsonVisible, visibleLines, visibleText } from '../engine/name-text.ts';
import type { ErrorInfo } from '../engine/types.ts';

export class UsageError extends Error {}

export interface Output {
  json: boolean;
  /** The command's result: JSON on stdout with --json, else the human text. */
  result(data: unknown, human: () => string): void;
  /** A note for people (stderr), never mixed into JSON output. */
  note(text: string): void;
  /** One-line reason on failure; returns the exit code. */
  fail(error: unknown): number;
}

/**
 * Everything the CLI prints passes here. Names from files and servers (databases, tables, roles,
 * profiles, file names) can hold terminal escape sequences, CR, backspace or bidi overrides: human
 * text shows them as visible escapes (\x1b, \u202e; see name-text.ts), line breaks kept. --json stays
 * exact JSON for programs: the same characters become \uXXXX escapes, which parse back to the same
 * strings (JSON.stringify alone leaves DEL, C1 controls and bidi overrides raw).
 */
export function printable(text: string): string {
  return visibleLines(text);
}

export function jsonText(data: unknown, indent?: number): string {
  return jsonVisible(JSON.stringify(data, null, indent));
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(data, human) {
      process.stdout.write(json ? `${jsonText(data, 2)}\n` : `${printable(human())}\n`);
    },
    note(text) {
      process.stderr.write(`${printable(text)}\n`);
    },
    fail(error) {
      if (error instanceof UsageError) {
        if (json) process.stdout.write(`${jsonText({ error: { code: 'USAGE', message: error.message } })}\n`);
        else process.stderr.write(`${printable(`lifeboat: ${error.message} (see "lifeboat --help")`)}\n`);
        return 2;
      }
      const info: ErrorInfo = toErrorInfo(error);
      if (json) process.stdout.write(`${jsonText({ error: info })}\n`);
      // One line: a line break in a name inside the message is escaped too.
      else process.stderr.write(`lifeboat: ${visibleText(info.message)}${info.fix ? ` Fix: ${visibleText(info.fix)}` : ''}\n`);
      return 1;
    },
  };
}

// One byte formatter for the engine and the CLI.
export { formatBytes } from '../engine/format-bytes.ts';

/** Columns padded to their widest cell; cells are escaped first (see printable) so widths stay right. */
export function table(cells: string[][]): string {
  const rows = cells.map((row) => row.map(visibleText));
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ').trimEnd()).join('\n');
}

export async function readStdin(option = '--password-stdin', what = 'the password'): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError(`${option} expects ${what} on standard input, e.g. echo "$SECRET" | lifeboat …`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
