import { drainOrExit, startTool, toolErrorSummary } from '../pgtools/tool-process.ts';
import type { PgTool } from '../types.ts';
import { LifeboatError } from '../errors.ts';
import { SqlGuard } from './sql-guard.ts';
import { FOREIGN_COLUMN_OPTIONS, SqlLineSplitter } from './sql-pipeline.ts';
import type { UnsafeStatement } from './unsafe-statements.ts';
import type { TocEntry, TocListing } from '../model/restore.ts';
export type { TocEntry, TocListing } from '../model/restore.ts';

// Longest first, so "TABLE DATA" is not read as "TABLE".
const TYPES = [
  'TABLE DATA', 'SEQUENCE SET', 'SEQUENCE OWNED BY', 'FK CONSTRAINT', 'CHECK CONSTRAINT', 'DEFAULT ACL', 'MATERIALIZED VIEW DATA', 'MATERIALIZED VIEW',
  'LARGE OBJECT', 'BLOB METADATA', 'BLOB DATA', 'BLOBS', 'BLOB', 'INDEX ATTACH', 'TABLE ATTACH', 'FOREIGN TABLE', 'EVENT TRIGGER', 'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY', 'STATISTICS DATA', 'EXTENSION', 'SCHEMA', 'TABLE', 'SEQUENCE', 'VIEW', 'FUNCTION', 'PROCEDURE', 'AGGREGATE', 'TYPE', 'DOMAIN',
  'INDEX', 'CONSTRAINT', 'TRIGGER', 'RULE', 'POLICY', 'DEFAULT', 'COMMENT', 'ACL', 'COLLATION', 'CONVERSION', 'OPERATOR', 'CAST', 'PUBLICATION', 'SUBSCRIPTION', 'STATISTICS',
];

/**
 * `pg_restore --list` fed chunk by chunk: pg_restore stops reading once it has the TOC; later
 * writes are dropped, so the caller can keep streaming (e.g. to finish hashing the dump).
 */
export function startTocListing(pgRestore: PgTool, signal?: AbortSignal) {
  const proc = startTool({ path: pgRestore.path, args: ['--list'], env: { ...process.env, LC_MESSAGES: 'C' }, stdin: 'pipe', signal });
  const stdin = proc.child.stdin!;
  let closed = false;
  stdin.on('error', () => (closed = true)); // EPIPE once pg_restore has what it needs
  proc.child.once('exit', () => (closed = true));
  const output: Buffer[] = [];
  proc.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  return {
    get done() {
      return closed;
    },
    async write(chunk: Buffer): Promise<void> {
      if (closed) return;
      if (!stdin.write(chunk)) await drainOrExit(stdin, proc.child);
    },
    async finish(): Promise<TocListing> {
      if (!closed) stdin.end();
      return readListing(await proc.exited, output);
    },
    /** Stops pg_restore when the caller gives up (e.g. the archive turned out damaged). */
    async abort(): Promise<void> {
      proc.kill();
      await proc.exited.catch(() => {});
    },
  };
}

/**
 * `pg_restore --schema-only --file=-` scanned as it is produced: the roles the archive's GRANTs and
 * OWNER TOs name, and its extensions (the TOC listing shows owners, not grantees). Fed like the listing.
 */
export function startSchemaScan(pgRestore: PgTool, input: { directory: string } | null, signal?: AbortSignal) {
  const proc = startTool({ path: pgRestore.path, args: ['--schema-only', '--file=-', ...(input ? [input.directory] : [])], env: { ...process.env, LC_MESSAGES: 'C' }, stdin: input ? 'ignore' : 'pipe', signal });
  const guard = new SqlGuard({ archive: true });
  // Column options some servers reject: a restore that cannot skip them must know whether they are there.
  const columnOptions = new Set<string>();
  // The restore's own splitter: linear in the output, the guard sees the bytes psql would get.
  const lines = new SqlLineSplitter(guard, (line) => {
    for (const option of FOREIGN_COLUMN_OPTIONS) if (line.includes(`SET (${option}=`)) columnOptions.add(option);
    guard.line(line);
  });
  let failure: unknown = null;
  proc.stdout.on('data', (chunk: Buffer) => {
    if (failure) return;
    try {
      lines.push(chunk, []);
    } catch (error) {
      failure = error; // a forbidden command in a pg archive's definitions: reported by the caller
    }
  });
  const stdin = proc.child.stdin;
  let closed = !stdin;
  stdin?.on('error', () => (closed = true));
  proc.child.once('exit', () => (closed = true));
  return {
    get done() {
      return closed;
    },
    async write(chunk: Buffer): Promise<void> {
      if (closed || !stdin) return;
      if (!stdin.write(chunk)) await drainOrExit(stdin, proc.child);
    },
    async finish(): Promise<{ roles: string[]; owners: string[]; extensions: string[]; columnOptions: string[]; unsafe: { statements: UnsafeStatement[]; count: number } }> {
      if (!closed) stdin?.end();
      const exit = await proc.exited;
      if (failure) throw failure;
      if (exit.code !== 0) throw new LifeboatError('ARCHIVE_DAMAGED', `pg_restore cannot read this archive's definitions: ${toolErrorSummary(exit.errors)}`, 'The archive is damaged, or was written by a newer pg_dump.');
      lines.end([]);
      return { roles: [...new Set([...guard.facts.owners, ...guard.facts.grantees])], owners: [...guard.facts.owners], extensions: [...guard.facts.extensions], columnOptions: [...columnOptions], unsafe: { statements: guard.facts.unsafe, count: guard.facts.unsafeCount } };
    },
    async abort(): Promise<void> {
      proc.kill();
      await proc.exited.catch(() => {});
    },
  };
}

/** `pg_restore --list` of a directory-format dump or a stream. */
export async function listToc(pgRestore: PgTool, input: { directory: string } | { stream: AsyncIterable<Buffer> }, signal?: AbortSignal): Promise<TocListing> {
  if ('stream' in input) {
    const listing = startTocListing(pgRestore, signal);
    for await (const chunk of input.stream) {
      if (listing.done) break;
      await listing.write(chunk);
    }
    return listing.finish();
  }
  const proc = startTool({ path: pgRestore.path, args: ['--list', input.directory], env: { ...process.env, LC_MESSAGES: 'C' }, signal });
  const output: Buffer[] = [];
  proc.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  return readListing(await proc.exited, output);
}

function readListing(exit: { code: number | null; errors: string[] }, output: Buffer[]): TocListing {
  if (exit.code !== 0) throw new LifeboatError('ARCHIVE_DAMAGED', `pg_restore cannot read this archive: ${toolErrorSummary(exit.errors)}`, 'The archive is damaged, or was written by a newer pg_dump than the pg_restore Lifeboat found.');
  return parseToc(Buffer.concat(output).toString('utf8'));
}

export function parseToc(text: string): TocListing {
  const header = (name: string) => new RegExp(`^;\\s+${name}:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim() ?? null;
  const entries: TocEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+);\s+\d+\s+\d+\s+(.*)$/.exec(line);
    if (!match) continue;
    const rest = match[2]!;
    const type = TYPES.find((t) => rest.startsWith(`${t} `)) ?? rest.split(' ')[0]!;
    // "<schema> <tag> <owner>": the owner may be empty (extensions have none), so the line ends in a space.
    const words = rest.slice(type.length + 1).replace(/\r$/, '').split(' ');
    entries.push({ id: Number(match[1]), type, schema: words[0] ?? '', name: words.slice(1, -1).join(' '), owner: words.at(-1) ?? '', line });
  }
  return {
    dumpedFromVersion: header('Dumped from database version'),
    dumpedByVersion: header('Dumped by pg_dump version'),
    database: header('dbname'),
    createdAt: header('Archive created at'),
    format: header('Format'),
    entries,
  };
}
