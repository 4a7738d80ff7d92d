import { once } from 'node:events';
import { startTool, toolErrorSummary } from '../pgtools/tool-process.ts';
import type { PgTool } from '../types.ts';

export interface TocReport {
  entries: number;
  tableData: string[];
}

/**
 * Feeds dump bytes to `pg_restore -l` as they are decrypted: proves the standard tool reads the
 * archive's table of contents. pg_restore stops reading after the TOC; the rest is discarded.
 */
export function startTocCheck(pgRestore: PgTool, signal?: AbortSignal) {
  const proc = startTool({ path: pgRestore.path, args: ['--list'], env: { ...process.env, LC_MESSAGES: 'C' }, stdin: 'pipe', signal });
  const stdin = proc.child.stdin!;
  let closed = false;
  stdin.on('error', () => {
    closed = true; // EPIPE once pg_restore has what it needs
  });
  proc.child.on('exit', () => {
    closed = true;
  });
  const output: Buffer[] = [];
  proc.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  return {
    async write(chunk: Buffer): Promise<void> {
      if (closed) return;
      if (!stdin.write(chunk)) await Promise.race([once(stdin, 'drain'), once(proc.child, 'exit')]).catch(() => {});
    },
    async finish(): Promise<TocReport> {
      if (!closed) stdin.end();
      const exit = await proc.exited;
      if (exit.code !== 0) throw new Error(`pg_restore could not read the dump's table of contents: ${toolErrorSummary(exit.errors)}`);
      const lines = Buffer.concat(output).toString('utf8').split('\n').filter((line) => line.trim() && !line.startsWith(';'));
      const tableData = lines.filter((line) => / TABLE DATA /.test(line)).map((line) => line.replace(/^.* TABLE DATA /, '').replace(/ \S+$/, '').trim());
      return { entries: lines.length, tableData };
    },
  };
}
