// The SQL guard fuzzed against psql itself. Random scripts mix quotes, E'' and dollar quotes,
// comments, quoted names, parentheses, BEGIN ATOMIC bodies, COPY blocks and their terminators,
// backslashes, NUL bytes, carriage returns, bytes of multibyte encodings, switches of
// client_encoding (SJIS, BIG5, GBK, UHC, GB18030, JOHAB) and of standard_conforming_strings —
// with `\! touch <marker>` planted among them. psql 18 (the bundled one Lifeboat uses) reads each script
// the way a restore runs it (ON_ERROR_STOP, one transaction). Whenever psql runs a meta-command:
//  - the guard must have refused the script (the second layer), and
//  - psql behind Lifeboat's \restrict prefix must run none (the first layer), for every script.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/engine/errors.ts';
import { libpqEnvironment } from '../../main/engine/pgtools/libpq-env.ts';
import { guardedSqlStream, startPsql } from '../../main/engine/restore/sql-pipeline.ts';
import type { PgTool } from '../../main/engine/types.ts';
import { startCluster, type Cluster } from '../support/pg-cluster.ts';
import { bundledTool, clusterProfile } from '../support/pg-tools.ts';
import { PSQL_TRICKS } from '../support/psql-tricks.ts';
import { forTier, seededRandom } from './fault-tier.ts';

let cluster: Cluster;
let env: NodeJS.ProcessEnv;
let dispose: () => Promise<void>;
let markerDir: string;
/** psql's shell command creates this file; nothing else in a script can (no script writes files through the server). */
let marker: string;
const psql: PgTool = { name: 'psql', path: bundledTool('psql'), version: '18', major: 18, source: 'bundled' };

beforeAll(async () => {
  cluster = await startCluster(18);
  await cluster.createDatabase('fuzz');
  await cluster.query('CREATE TABLE t (a text)', [], 'fuzz');
  const libpq = await libpqEnvironment(clusterProfile(cluster, 'fuzz'), cluster.password);
  env = { ...libpq.env, LC_MESSAGES: 'C' };
  dispose = libpq.dispose;
  markerDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-fuzz-'));
  marker = path.join(markerDir, 'pwned');
});

afterAll(async () => {
  await dispose?.();
  await rm(markerDir, { recursive: true, force: true });
  // The exit hook does not run when vitest ends its worker: without this the server outlived every run.
  await cluster?.stop();
});

/**
 * Whether psql ran the planted shell command. It runs in the marker folder, and the rest of its
 * line (more words for touch) lands there too: any file there counts. Emptied for the next run.
 */
async function markerMade(): Promise<boolean> {
  const made = (await readdir(markerDir)).length > 0;
  await rm(markerDir, { recursive: true, force: true });
  await mkdir(markerDir);
  return made || existsSync(marker);
}

const ENCODINGS = ['SJIS', 'BIG5', 'GBK', 'UHC', 'GB18030', 'JOHAB', 'UTF8', 'LATIN1'];
/** Pieces of text inside literals, names, comments and bodies: each one something a lexer can trip on. */
const PIECES = ["'", "''", '\\', '\\\\', "\\'", '"', '""', '$', '$$', '$a$', ';', '(', ')', '--', '/*', '*/', ' ', '\n', '\r', '\r\n', ':', ':VERSION', 'E', 'U&', 'x', 'é', '日', '\x81', '\x81\\', '\xe6\x97', '\\! touch MARKER #', '\n\\! touch MARKER\n', '\0', 'begin', 'end', 'copy t from stdin;'];

const SOUP = ["'", "''", "E'", '\\', '\\\\', '"', '$$', '$a$', '--', '/*', '*/', '(', ')', ';', ' ', '\r', 'a', '1', '\xe9', '\x81', '\xe6\x97\xa5', '\x8f', '\x81\x30', ':X', ' begin ', ' end ', ' \\! touch MARKER # ', ' \\! touch MARKER # ', '\0'];

const NEAR_QUOTE = ["'", '\\', '\x81', '\xe6\x97\xa5', '\x8f', '\x81\x30', 'a', "''", '\r', '$', '-'];

function fuzzScript(random: () => number): Buffer {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const content = () => Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(PIECES)).join('');
  const statements: (() => string)[] = [
    () => `SELECT '${content()}';`,
    () => `SELECT E'${content()}';`,
    // A lead byte of a multibyte encoding right before a quote: in SJIS & co. psql hides that quote.
    () => `SELECT '${content()}${pick(['\x81', '\xe6\x97\xa5', '\x8f\xa1', '\x81\x30'])}'${content()}';`,
    () => `SELECT $$${content()}$$;`,
    () => `SELECT $q$${content()}$q$;`,
    () => `SELECT 1 AS "${content()}";`,
    () => `/* ${content()} */ SELECT 1;`,
    () => `-- ${content()}`,
    () => `SELECT (1${content()});`,
    () => `SELECT ${content()};`,
    () => `SET client_encoding = '${pick(ENCODINGS)}';`,
    () => `SELECT set_config('client_' || 'encoding', '${pick(ENCODINGS)}', false);`,
    () => `SELECT set_config('standard_' || 'conforming_strings', '${pick(['on', 'off'])}', false);`,
    () => `COPY t ${pick(['FROM stdin', 'FROM STDOUT', 'TO stdout', '(a) FROM stdin'])};${pick(['', ' ', ' \\! touch MARKER #'])}\n${content()}\n${pick(['\\.', '\\.\r', ' \\.', '\\.x', '\\.\0'])}`,
    () => `CREATE FUNCTION f${Math.floor(random() * 1e6)}() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; ${content()} END;`,
    () => '\\! touch MARKER #',
  ];
  // Token soup: psql runs a meta-command as soon as its lexer meets the backslash outside quotes,
  // before it sends the statement — so a payload mid-line runs even if that statement would fail.
  const soup = () => `SELECT ${Array.from({ length: 3 + Math.floor(random() * 10) }, () => pick(SOUP)).join('')}`;
  // A payload the guard's own reading puts inside a literal, next to what could end it early in
  // another reading (a backslash, a lead byte of a multibyte encoding, a carriage return, …).
  const hidden = () => {
    const near = () => Array.from({ length: Math.floor(random() * 4) }, () => pick(NEAR_QUOTE)).join('');
    return `SELECT ${pick(["'", "E'", '$$', '"', '/*', '--'])}${near()}${pick(["'", "''", '', '\\'])}${near()} \\! touch MARKER # ${near()}${pick(["'", '$$', '"', '*/', ''])};`;
  };
  const prelude = random() < 0.5 ? [pick(statements.slice(10, 13))()] : [];
  const lines = [...prelude, ...Array.from({ length: 2 + Math.floor(random() * 6) }, () => (random() < 0.3 ? hidden() : random() < 0.5 ? soup() : pick(statements)()))];
  return Buffer.from((lines.join(pick(['\n', '\n', ' ', '\r\n'])) + '\n').replaceAll('MARKER', marker), 'latin1');
}

/** psql as a restore runs it, without Lifeboat's prefix; true when it ran the planted shell command. */
async function psqlRunsMeta(script: Buffer): Promise<boolean> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(psql.path, ['-X', '-q', '--no-password', '-v', 'ON_ERROR_STOP=1', '--single-transaction'], { env, cwd: markerDir, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.on('error', () => {});
    child.stdin.end(script);
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  return markerMade();
}

/** psql started the way Lifeboat starts it (\restrict first), fed the raw script; true when it ran the shell command. */
async function restrictedPsqlRunsMeta(script: Buffer): Promise<boolean> {
  const proc = startPsql(psql, env, { singleTransaction: true, cwd: markerDir });
  proc.child.stdin!.end(script);
  await proc.exited;
  return markerMade();
}

/** The guard through the same streaming pipeline a restore uses, fed in random chunk sizes. */
async function guardAccepts(script: Buffer, random: () => number): Promise<boolean> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < script.length;) {
    const size = 1 + Math.floor(random() * 40);
    chunks.push(script.subarray(at, at + size));
    at += size;
  }
  const guarded = guardedSqlStream(18, { allowConnect: false });
  try {
    await pipeline(Readable.from(chunks), guarded.transform, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
    return true;
  } catch (error) {
    if (!(error instanceof LifeboatError)) throw error;
    return false;
  }
}

describe('the SQL guard against psql itself', () => {
  const cases = forTier(150, 2000);

  it(`no script psql would run a meta-command from passes the guard, and \\restrict stops all of them (${cases} seeded scripts)`, async () => {
    let psqlRan = 0;
    let refused = 0;
    for (let seed = 1; seed <= cases; seed++) {
      const random = seededRandom(seed * 7919);
      const script = fuzzScript(random);
      const ran = await psqlRunsMeta(script);
      const accepted = await guardAccepts(script, random);
      const restrictedRan = await restrictedPsqlRunsMeta(script);
      const shown = JSON.stringify(script.toString('latin1'));
      expect(ran && accepted, `seed ${seed}: psql runs a meta-command the guard let through: ${shown}`).toBe(false);
      expect(restrictedRan, `seed ${seed}: psql ran a meta-command behind \\restrict: ${shown}`).toBe(false);
      if (ran) psqlRan++;
      if (!accepted) refused++;
    }
    // The generator must really produce scripts on which psql runs a command, and scripts the guard accepts.
    console.log(`fuzz: ${cases} scripts, psql ran the command in ${psqlRan}, the guard refused ${refused}`);
    expect(psqlRan).toBeGreaterThan(cases / 10);
    expect(refused).toBeLessThan(cases);
  }, 600_000);
});

/** The ways a script can make psql read it differently from a simpler lexer (tests/support/psql-tricks.ts). */
const KNOWN_TRICKS: [string, string][] = PSQL_TRICKS.map((trick) => [trick.name, trick.text]);

describe('each known way to read a script differently from psql is real, refused, and stopped by \\restrict', () => {
  it.each(KNOWN_TRICKS)('%s', async (_name, text) => {
    const script = Buffer.from(`${text.replaceAll('MARKER', marker)}\n`, 'latin1');
    expect(await psqlRunsMeta(script), 'psql itself runs the command').toBe(true);
    expect(await guardAccepts(script, seededRandom(1))).toBe(false);
    expect(await restrictedPsqlRunsMeta(script)).toBe(false);
  });
});
