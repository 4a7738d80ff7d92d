// SQL text → guard (meta-commands refused, known-benign settings dropped for older servers) → psql.
import { formatBytes } from '../format-bytes.ts';
import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { LifeboatError } from '../errors.ts';
import { drainOrExit, startTool, type ToolProcess } from '../pgtools/tool-process.ts';
import type { PgTool } from '../types.ts';
import { isCopyEnd, MAX_SQL_LINE_BYTES, SqlGuard } from './sql-guard.ts';
import type { StatementDecision } from './data-only-filter.ts';
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

/**
 * Column options some builds stamp on every column (this project's Debian PostgreSQL 15.20 writes
 * pg_attver=N) that other servers reject as "unrecognized parameter". Metadata only: skipped where
 * the target does not know them.
 */
export const FOREIGN_COLUMN_OPTIONS = ['pg_attver'] as const;

/** Lines this long or shorter are decoded to match settings to skip and to name the table being restored. */
const SHORT_LINE = 4096;

/**
 * A Transform that passes SQL through the guard line by line; lines keep their exact bytes, except
 * that the file's own \restrict lines and skipped settings become empty lines (psql's line numbers
 * stay the file's). SQL lines are collected up to the guard's limit; COPY data streams through in
 * constant memory, however long its lines.
 */
export function guardedSqlStream(targetMajor: number, options: { allowConnect: boolean; refuseUnsafe?: boolean; archive?: boolean; unknownColumnOptions?: string[]; onStatementLine?: (line: string) => void; decide?: (statement: string) => StatementDecision }): GuardedSql {
  const guard = new SqlGuard({ allowConnect: options.allowConnect, refuseUnsafe: options.refuseUnsafe, archive: options.archive });
  const tolerated = new Set<string>();
  const benign = BENIGN_FOR_OLDER.filter((b) => targetMajor < b.before);
  for (const option of options.unknownColumnOptions ?? []) {
    benign.push({ pattern: new RegExp(`^ALTER TABLE ONLY .+ ALTER COLUMN .+ SET \\(${option}=[^,)]*\\);$`), before: Infinity, note: `Column option ${option} (written by the source server's build, unknown to the target) was skipped` });
  }
  const processSqlLine = (line: Buffer, out: Buffer[]) => {
    const text = line.length <= SHORT_LINE ? line.toString('utf8').replace(/\r$/, '') : null;
    const skip = text === null ? undefined : benign.find((b) => b.pattern.test(text));
    if (skip) {
      guard.line(Buffer.alloc(0));
      tolerated.add(skip.note);
      out.push(NEWLINE);
      return;
    }
    const verdict = guard.line(line);
    if (text !== null) options.onStatementLine?.(text);
    const passed = verdict === 'blank' ? NEWLINE : Buffer.concat([line, NEWLINE]);
    if (gate) gate.afterLine(passed, out);
    else out.push(passed);
  };
  const gate = options.decide ? new StatementGate(guard, options.decide) : null;
  const lines = new SqlLineSplitter(guard, processSqlLine, () => gate?.dataKept ?? true);
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        const out: Buffer[] = [];
        lines.push(chunk, out);
        callback(null, joined(out));
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        const out: Buffer[] = [];
        lines.end(out);
        guard.finish();
        callback(null, joined(out));
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  return {
    transform,
    guard,
    get tolerated() {
      const notes = [...tolerated];
      if (gate?.skipped) notes.push(`${gate.skipped} statement${gate.skipped === 1 ? '' : 's'} other than rows of the chosen tables ${gate.skipped === 1 ? 'was' : 'were'} skipped: a data-only restore runs nothing else`);
      return notes;
    },
  };
}

/**
 * Holds back each statement's lines until it ends, then passes them on or blanks them as `decide`
 * says (and the COPY data after a skipped COPY with them). A line holding the end of one statement
 * and the start of another is passed on when the ended statement is kept; the statement it starts
 * can then no longer be left out, so if it should be, it is refused. pg_dump never writes one.
 */
class StatementGate {
  skipped = 0;
  dataKept = true;
  #held: Buffer[] = [];
  #heldBytes = 0;
  /** The current statement began on a line already passed on. */
  #started = false;
  readonly #guard: SqlGuard;
  readonly #decide: (statement: string) => StatementDecision;

  constructor(guard: SqlGuard, decide: (statement: string) => StatementDecision) {
    this.#guard = guard;
    this.#decide = decide;
  }

  afterLine(line: Buffer, out: Buffer[]): void {
    this.#held.push(line);
    this.#heldBytes += line.length;
    const ended = this.#guard.endedOnLastLine.filter((statement) => statement.sql !== '');
    const open = this.#guard.statementOpen;
    if (ended.length === 0 && open) {
      if (this.#heldBytes > MAX_SQL_LINE_BYTES) throw new LifeboatError('INVALID_INPUT', `A statement near line ${this.#guard.facts.lines} is longer than ${formatBytes(MAX_SQL_LINE_BYTES, { binary: true })}; Lifeboat does not hold statements that long.`, 'Dump the database again with pg_dump (COPY format).');
      return;
    }
    const decisions = ended.map((statement) => (statement.complete ? this.#decide(statement.sql) : 'skip'));
    const keep = decisions.every((d) => d === 'keep');
    if ((ended.length > 1 || open || this.#started) && !keep) {
      throw new LifeboatError('INVALID_INPUT', `${this.#guard.where(this.#guard.facts.lines)} holds more than one statement, and Lifeboat must run one and leave out the other (rows of other tables, an owner or a privilege).`, 'Restore a dump written by pg_dump, which puts each statement on lines of its own.');
    }
    this.skipped += decisions.filter((d) => d === 'skip').length;
    out.push(...(keep ? this.#held : this.#held.map(() => NEWLINE)));
    this.#held = [];
    this.#heldBytes = 0;
    this.#started = open;
    if (this.#guard.inCopyData) this.dataKept = keep;
  }
}

/**
 * Splits a byte stream into lines in linear time: SQL lines are gathered (bounded by the guard's
 * MAX_SQL_LINE_BYTES) and handed over whole; COPY data passes straight through, keeping only the
 * first bytes of each line to spot the "\." that ends it.
 */
export class SqlLineSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes of the current COPY data line already passed through (it cannot be "\." once past 3). */
  #dataLineBytes = 0;
  readonly #guard: SqlGuard;
  readonly #onSqlLine: (line: Buffer, out: Buffer[]) => void;
  /** False while the COPY these data belong to was skipped: its lines become empty lines. */
  readonly #dataKept: () => boolean;

  /** onSqlLine gets each line outside COPY data; `out` collects what goes on to psql (COPY data included). */
  constructor(guard: SqlGuard, onSqlLine: (line: Buffer, out: Buffer[]) => void, dataKept: () => boolean = () => true) {
    this.#guard = guard;
    this.#onSqlLine = onSqlLine;
    this.#dataKept = dataKept;
  }

  push(chunk: Buffer, out: Buffer[]): void {
    let start = 0;
    while (start < chunk.length) {
      if (this.#guard.inCopyData && this.#pendingBytes === 0 && this.#dataLineBytes === 0 && this.#dataKept()) {
        start = this.#copyLines(chunk, start, out);
        if (start === chunk.length) break;
      }
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.#guard.inCopyData) {
        this.#copyPiece(piece, nl !== -1, out);
      } else {
        this.#pending.push(piece);
        this.#pendingBytes += piece.length;
        // Past the limit the guard refuses the line, naming the limit, without waiting for its end.
        if (nl !== -1 || this.#pendingBytes > MAX_SQL_LINE_BYTES) this.#emit(out);
      }
      start = end + 1;
    }
  }

  /**
   * COPY data from the start of a line: the whole lines that follow, up to the one that ends the data
   * (or the chunk's unfinished last line), checked and passed on as one piece — the same bytes the
   * line-by-line path passes, without its work per line (most of a restore's CPU). Returns where it
   * stopped; the line there goes through the line-by-line path.
   */
  #copyLines(chunk: Buffer, start: number, out: Buffer[]): number {
    let at = start;
    let lines = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, at);
      // "\." (or "\.\r") is the only line that ends COPY data: a line longer than 3 bytes never does.
      if (nl === -1 || (nl - at <= 3 && isCopyEnd(chunk.subarray(at, nl)))) break;
      lines++;
      at = nl + 1;
    }
    if (at > start) {
      const span = chunk.subarray(start, at);
      this.#guard.dataLines(span, lines);
      out.push(span);
    }
    return at;
  }

  /** COPY data: the first 3 bytes of a line are held back (it may be "\.\r"), anything longer streams. */
  #copyPiece(piece: Buffer, lineEnds: boolean, out: Buffer[]): void {
    if (this.#dataLineBytes === 0 && this.#pendingBytes + piece.length <= 3) {
      this.#pending.push(piece);
      this.#pendingBytes += piece.length;
      if (lineEnds) this.#emit(out);
      return;
    }
    for (const part of [...this.#pending, piece]) {
      this.#guard.dataBytes(part);
      if (this.#dataKept()) out.push(part);
    }
    this.#dataLineBytes += this.#pendingBytes + piece.length;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (lineEnds) {
      out.push(NEWLINE);
      this.#guard.dataLineEnd();
      this.#dataLineBytes = 0;
    }
  }

  end(out: Buffer[]): void {
    if (this.#pendingBytes > 0) this.#emit(out, false);
    else if (this.#dataLineBytes > 0) this.#guard.dataLineEnd();
  }

  #emit(out: Buffer[], newline = true): void {
    const line = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#guard.inCopyData) {
      const kept = this.#dataKept();
      this.#guard.line(line);
      if (kept) out.push(line);
      if (newline) out.push(NEWLINE);
      return;
    }
    this.#onSqlLine(line, out);
  }
}

const NEWLINE = Buffer.from('\n');

/** What one chunk passes on, as one buffer (a single piece as it is: no copy). */
function joined(out: Buffer[]): Buffer | undefined {
  return out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out);
}

/** The first minor release of each major whose psql knows \restrict (the August 2025 security releases). */
const RESTRICT_SINCE: Record<number, number> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };

/** psql that cannot be locked against meta-commands is not used for files Lifeboat did not write. */
export function assertPsqlRestricts(psql: PgTool): void {
  const [major = 0, minor = 0] = psql.version.split(/[.\s]/).map((part) => Number.parseInt(part, 10));
  if (major >= 18 || (RESTRICT_SINCE[major] !== undefined && minor >= RESTRICT_SINCE[major]!)) return;
  throw new LifeboatError('TOOL_TOO_OLD', `psql ${psql.version} (${psql.path}) does not know \\restrict, which Lifeboat uses so that a SQL file can never run psql commands on this computer.`, 'Use Lifeboat\'s bundled PostgreSQL 18 tools (npm run pg-tools), or psql 18, 17.6, 16.10, 15.14, 14.19, 13.22 or newer (Settings → PostgreSQL tools).');
}

/**
 * psql with ON_ERROR_STOP (psql exits 0 on errors without it), reading the script from stdin, which
 * starts with \restrict and a random key: from then on psql refuses every meta-command but
 * \unrestrict with that key, which the file cannot know. The key line is line 1: psql's line
 * numbers are one more than the file's (psqlFailure corrects them).
 */
export function startPsql(psql: PgTool, env: NodeJS.ProcessEnv, options: { singleTransaction: boolean; signal?: AbortSignal; cwd?: string }): ToolProcess {
  assertPsqlRestricts(psql);
  const proc = startTool({
    path: psql.path,
    args: ['-X', '-q', '--no-password', '-v', 'ON_ERROR_STOP=1', ...(options.singleTransaction ? ['--single-transaction'] : [])],
    env,
    stdin: 'pipe',
    signal: options.signal,
    cwd: options.cwd,
  });
  proc.child.stdin!.on('error', () => {}); // EPIPE if psql exits early; its exit status tells why
  proc.child.stdin!.write(`\\restrict ${randomBytes(32).toString('hex')}\n`);
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
  // psql counts the \restrict line Lifeboat puts first.
  const psqlLine = Number(/:(\d+): (?:ERROR|FATAL)/.exec(error)?.[1] ?? 0);
  const line = psqlLine > 1 ? psqlLine - 1 : null;
  const message = error.replace(/^psql:[^:]*:\d+:\s*/, '').replace(/\s+/g, ' ');
  if (isLostConnection(errors.join('\n'))) return new LifeboatError('RESTORE_FAILED', `The restore stopped: ${LOST_CONNECTION_SENTENCE} (${message}).`, `${LOST_CONNECTION_FIX} The database this restore created was removed.`);
  return new LifeboatError('RESTORE_FAILED', `The restore stopped${line ? ` at statement line ${line}` : ''}: ${message}`, 'Nothing was changed: the new database was removed. Check the message (a missing role or extension can be handled in the checklist).');
}
