// SQL text → guard (meta-commands refused, known-benign settings dropped for older servers) → psql.
import { Transform, type TransformCallback } from 'node:stream';
import { LifeboatError } from '../errors.ts';
import { drainOrExit, startTool, type ToolProcess } from '../pgtools/tool-process.ts';
import type { PgTool } from '../types.ts';
import { SqlGuard } from './sql-guard.ts';
import { isLostConnection, LOST_CONNECTION_FIX, LOST_CONNECTION_SENTENCE } from '../pgtools/lost-connection.ts';

/** Statements pg_dump/pg_restore 17+ write that older servers do not know; skipped there and reported. */
const BENIGN_FOR_OLDER: { pattern: RegExp; before: number; note: string }[] = [
  { pattern: /^SET transaction_timeout = 0;$/, before: 17, note: 'SET transaction_timeout (a setting PostgreSQL 17 introduced) was skipped' },
];

export interface GuardedSql {
  transform: Transform;
  guard: SqlGuard;
  tolerated: string[];
}

/** A line-by-line Transform that passes SQL through the guard; lines keep their exact bytes. */
/**
 * Column options some builds stamp on every column (this project's Debian PostgreSQL 15.20 writes
 * pg_attver=N) that other servers reject as "unrecognized parameter". Metadata only: skipped where
 * the target does not know them.
 */
export const FOREIGN_COLUMN_OPTIONS = ['pg_attver'] as const;

export function guardedSqlStream(targetMajor: number, options: { allowConnect: boolean; unknownColumnOptions?: string[]; onStatementLine?: (line: string) => void }): GuardedSql {
  const guard = new SqlGuard({ allowConnect: options.allowConnect });
  const tolerated = new Set<string>();
  const benign = BENIGN_FOR_OLDER.filter((b) => targetMajor < b.before);
  for (const option of options.unknownColumnOptions ?? []) {
    benign.push({ pattern: new RegExp(`^ALTER TABLE ONLY .+ ALTER COLUMN .+ SET \\(${option}=[^,)]*\\);$`), before: Infinity, note: `Column option ${option} (written by the source server's build, unknown to the target) was skipped` });
  }
  let carry: Buffer = Buffer.alloc(0);
  const processLine = (line: Buffer, out: Buffer[]) => {
    if (guard.inCopyData) {
      if (line.length === 2 && line[0] === 0x5c && line[1] === 0x2e) guard.line('\\.');
      out.push(line, NEWLINE);
      return;
    }
    const text = line.toString('utf8').replace(/\r$/, '');
    const skip = benign.find((b) => b.pattern.test(text));
    if (skip) {
      tolerated.add(skip.note);
      return;
    }
    guard.line(text);
    options.onStatementLine?.(text);
    out.push(line, NEWLINE);
  };
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        const out: Buffer[] = [];
        let start = 0;
        for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
          processLine(data.subarray(start, nl), out);
          start = nl + 1;
        }
        carry = Buffer.from(data.subarray(start));
        callback(null, out.length ? Buffer.concat(out) : undefined);
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        const out: Buffer[] = [];
        if (carry.length) processLine(carry, out);
        guard.finish();
        callback(null, out.length ? Buffer.concat(out) : undefined);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  return { transform, guard, get tolerated() { return [...tolerated]; } };
}

const NEWLINE = Buffer.from('\n');

/** psql with ON_ERROR_STOP (psql exits 0 on errors without it), reading the script from stdin. */
export function startPsql(psql: PgTool, env: NodeJS.ProcessEnv, options: { singleTransaction: boolean; signal?: AbortSignal }): ToolProcess {
  const proc = startTool({
    path: psql.path,
    args: ['-X', '-q', '--no-password', '-v', 'ON_ERROR_STOP=1', ...(options.singleTransaction ? ['--single-transaction'] : [])],
    env,
    stdin: 'pipe',
    signal: options.signal,
  });
  proc.stdout.resume(); // results of SELECTs in the script; not needed
  return proc;
}

/** Feeds an async iterable into a child's stdin with backpressure; stops quietly if the child exits. */
export async function feed(source: AsyncIterable<Buffer>, proc: ToolProcess): Promise<void> {
  const stdin = proc.child.stdin!;
  let closed = false;
  stdin.on('error', () => (closed = true));
  proc.child.once('exit', () => (closed = true));
  for await (const chunk of source) {
    if (closed) break;
    if (!stdin.write(chunk)) await drainOrExit(stdin, proc.child);
  }
  if (!closed) stdin.end();
}

/** "psql:<stdin>:42: ERROR:  relation … does not exist" → one sentence. */
export function psqlFailure(errors: string[]): LifeboatError {
  const error = errors.find((l) => /ERROR:|FATAL:/.test(l)) ?? errors.at(-1) ?? 'psql failed';
  const line = /:(\d+): (?:ERROR|FATAL)/.exec(error)?.[1];
  const message = error.replace(/^psql:[^:]*:\d+:\s*/, '').replace(/\s+/g, ' ');
  if (isLostConnection(errors.join('\n'))) return new LifeboatError('RESTORE_FAILED', `The restore stopped: ${LOST_CONNECTION_SENTENCE} (${message}).`, `${LOST_CONNECTION_FIX} The database this restore created was removed.`);
  return new LifeboatError('RESTORE_FAILED', `The restore stopped${line ? ` at statement line ${line}` : ''}: ${message}`, 'Nothing was changed: the new database was removed. Check the message (a missing role or extension can be handled in the checklist).');
}
