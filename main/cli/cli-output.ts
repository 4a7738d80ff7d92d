import { toErrorInfo } from '../engine/errors.ts';
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

export function createOutput(json: boolean): Output {
  return {
    json,
    result(data, human) {
      process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
    },
    note(text) {
      process.stderr.write(`${text}\n`);
    },
    fail(error) {
      if (error instanceof UsageError) {
        if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: error.message } })}\n`);
        else process.stderr.write(`lifeboat: ${error.message} (see "lifeboat --help")\n`);
        return 2;
      }
      const info: ErrorInfo = toErrorInfo(error);
      if (json) process.stdout.write(`${JSON.stringify({ error: info })}\n`);
      else process.stderr.write(`lifeboat: ${info.message}${info.fix ? ` Fix: ${info.fix}` : ''}\n`);
      return 1;
    },
  };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ').trimEnd()).join('\n');
}

export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('--password-stdin expects the password on standard input, e.g. echo "$PW" | lifeboat …');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
