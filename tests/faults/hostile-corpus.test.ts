// Every dropped file is hostile (ARCHITECTURE.md §6a; issue 11): a corpus of hostile files, made by
// code, for what Lifeboat guarantees today — no commands on this computer through psql, and nothing
// outside the target changed by a refused file.
//
// Each of the twelve known tricks (tests/support/psql-tricks.ts, the list psql-guard-fuzz.test.ts
// shows real against psql 18) becomes a file in every form Lifeboat reads SQL from:
//  - plain .sql, .sql.gz (gzip CLI), .sql.zst (zstd CLI), gpg --symmetric of the .sql (gpg CLI), the
//    trick after more than the 4 KiB Lifeboat sniffs, so the guard — not the file-type check — meets it;
//  - a real `pg_dump -Fc` whose COMMENT ON TABLE entry's definition (in the uncompressed TOC) is
//    replaced by `COMMENT …; SET search_path = public; <trick>`, so pg_restore prints the trick.
// Each file is first shown real: plain psql (no \restrict) runs its command — for the dump, psql fed
// pg_restore's output with pg_restore's own \restrict lines removed, as Lifeboat's guard removes them.
// Then the real CLI: restore --into (and, for the dump, --jobs 2: pg_restore -j without psql),
// restore --data-only (rows only) into an existing database,
// preflight (both), inspect and drill (embedded scratch server). Every run: the file's marker (an
// absolute path in a private folder) never appears; a specific refusal, no stack trace; no database
// created or left; no role created; the rows-only target and another database "other" unchanged.
//
// Fast tier (npm test): per trick, the plain-SQL restore plus one seeded-random (form, entry point)
// pair — LIFEBOAT_CORPUS_SEED=N replays another draw. Full tier (LIFEBOAT_FAULTS=full): the matrix.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTocBytes } from '../support/archive-craft.ts';
import { startCluster, type Cluster } from '../support/pg-cluster.ts';
import { bundledTool, dataFingerprint, runTool, schemaText } from '../support/pg-tools.ts';
import { PSQL_TRICKS, trickBytes, type PsqlTrick } from '../support/psql-tricks.ts';
import { addCliProfile, databases, engineLeftovers, gpgSymmetric, isolateTmp, lifeboat, noGpgAgentsLeft, processesWithEnv, settleToolChildren, type CliResult } from '../support/restore-fixtures.ts';
import { FULL_TIER, seededRandom } from './fault-tier.ts';
import { expectDrillRefusal, expectJsonRefusal, expectNoCrash } from './refusal.ts';

const run = promisify(execFile);
const GPG_PASSPHRASE = 'a passphrase for the hostile corpus';
const GPG = { GPG_PASS: GPG_PASSPHRASE };
const SEED = Number(process.env.LIFEBOAT_CORPUS_SEED ?? 11);
/**
 * The comment the dump's TOC entry is made with: long enough for every trick, so the hostile
 * definition is padded to the same length and the data offsets the TOC records stay right (the
 * dump stays one pg_restore reads from a file, seeking, as well as from a pipe).
 */
const COMMENT = `corpus-placeholder ${'.'.repeat(1500)}`;
const PLACEHOLDER = `COMMENT ON TABLE public.t IS '${COMMENT}';\n`;

/** The hostile definition of the COMMENT entry, padded with newlines to the placeholder's length. */
function tocDefinition(payload: Buffer): Buffer {
  const text = Buffer.concat([Buffer.from("COMMENT ON TABLE public.t IS 'x';\nSET search_path = public;\n"), payload, Buffer.from('\n')]);
  const length = Buffer.byteLength(PLACEHOLDER);
  if (text.length > length) throw new Error(`a trick of ${text.length} bytes does not fit the ${length}-byte placeholder`);
  return Buffer.concat([text, Buffer.alloc(length - text.length, '\n')]);
}

type Form = 'sql' | 'gzip' | 'zstd' | 'gpg' | 'custom';
type Entry = 'restore --into' | 'restore --into --jobs 2' | 'restore --data-only' | 'preflight --into' | 'preflight --data-only' | 'inspect' | 'drill';
const FORMS: Form[] = ['sql', 'gzip', 'zstd', 'gpg', 'custom'];
const ENTRIES: Entry[] = ['restore --into', 'restore --into --jobs 2', 'restore --data-only', 'preflight --into', 'preflight --data-only', 'inspect', 'drill'];

/** Whether an entry point takes a form at all; the pair that does not says why. */
function entryFits(form: Form, entry: Entry): boolean {
  // A parallel restore is pg_restore -j from an archive (it runs the SQL itself, without psql);
  // plain SQL has no parallel restore: the CLI refuses --jobs for it before reading it ("parallel
  // jobs do not apply"), which says nothing about the file's content.
  return entry !== 'restore --into --jobs 2' || form === 'custom';
}

/**
 * The guard's refusal of each trick (without line numbers: they differ between a file and
 * pg_restore's output). Codes: INVALID_INPUT from the guard; PREFLIGHT_BLOCKED where a restore's
 * checklist turns the file's problem into a blocker.
 */
const REFUSAL: Record<string, RegExp> = {
  'an identifier ending in E before a quote': /has a string whose closing quote follows a backslash/,
  'standard_conforming_strings turned off by a function call': /changes standard_conforming_strings|closing quote follows a backslash/,
  'an SJIS lead byte hiding a quote': /reads differently when psql's client encoding is SJIS/,
  'a GB18030 four-byte character hiding a quote': /reads differently when psql's client encoding is GB18030/,
  'a NUL byte cutting a line short': /contains a NUL byte/,
  'text after COPY … FROM stdin on its line': /has more text after "COPY … FROM stdin;"/,
  'a semicolon inside parentheses': /runs the psql command "\\!"/,
  'semicolons inside BEGIN ATOMIC': /runs the psql command "\\!"/,
  'a carriage return ending a -- comment': /runs the psql command "\\!"/,
  'an identifier swallowing $$': /runs the psql command "\\!"/,
  'COPY data ended by \\.\\r': /runs the psql command "\\!"/,
  'a comment between COPY and FROM': /runs the psql command "\\!"/,
};
const CODES = ['INVALID_INPUT', 'PREFLIGHT_BLOCKED'];

interface Hostile {
  trick: PsqlTrick;
  form: Form;
  file: string;
  /** Private folder the trick's `touch` writes into: any file in it means psql ran the command. */
  markerDir: string;
}

let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
let home: string;
let files: string;
let markers: string;
let placeholderDump: string;
const hostile = new Map<string, Hostile>();
let before: { databases: string[]; roles: string[]; target: Record<string, string>; targetSchema: string; other: Record<string, string> };

const key = (trick: PsqlTrick, form: Form) => `${PSQL_TRICKS.indexOf(trick)}:${form}`;
const slug = (trick: PsqlTrick, form: Form) => `${PSQL_TRICKS.indexOf(trick) + 1}-${trick.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}-${form}`;

/** Whether a form of a trick is in the corpus; the one that is not says why. */
function formFits(trick: PsqlTrick, form: Form): boolean {
  // pg_restore prints a TOC definition as a C string: a NUL byte ends it, so the part of the trick
  // after the NUL never reaches psql (shown below). That trick is in every other form.
  return form !== 'custom' || trick.fitsInToc;
}

async function roles(): Promise<string[]> {
  return (await cluster.query<{ rolname: string }>('SELECT rolname FROM pg_roles ORDER BY 1')).map((r) => r.rolname);
}

async function snapshot(): Promise<typeof before> {
  return {
    databases: await databases(cluster),
    roles: await roles(),
    target: await dataFingerprint(cluster, 'target'),
    targetSchema: await schemaText(cluster, 'target'),
    other: await dataFingerprint(cluster, 'other'),
  };
}

/** The files psql's shell command made in a marker folder (emptied afterwards, for the next run). */
async function markerFiles(h: Hostile, clear = false): Promise<string[]> {
  const made = await readdir(h.markerDir);
  if (clear) for (const name of made) await rm(path.join(h.markerDir, name), { recursive: true, force: true });
  return made;
}

/** Nothing ran, nothing was created, changed or left running. */
async function expectUntouched(h: Hostile, what: string): Promise<void> {
  expect(await markerFiles(h), `${what}: psql ran the file's shell command (files in ${h.markerDir})`).toEqual([]);
  const now = await snapshot();
  expect(now.databases, `${what}: databases created or dropped`).toEqual(before.databases);
  expect(now.roles, `${what}: roles created or dropped`).toEqual(before.roles);
  expect(now.target, `${what}: the rows-only target's data changed`).toEqual(before.target);
  expect(now.targetSchema, `${what}: the rows-only target's schema changed`).toBe(before.targetSchema);
  expect(now.other, `${what}: database "other" changed`).toEqual(before.other);
  expect(await settleToolChildren(), `${what}: pg_restore/psql/gpg still running`).toEqual([]);
  expect(await engineLeftovers(tmp.dir), `${what}: temporary files left`).toEqual([]);
  expect(processesWithEnv('LIFEBOAT_HOME', home), `${what}: processes of the CLI left (tools, scratch server)`).toEqual([]);
  if (h.form === 'gpg') await noGpgAgentsLeft(tmp.dir);
}

/** The preflight checklist of a refused file: exit 1, not ok, a blocker naming the problem. */
function expectBlockedChecklist(result: CliResult, message: RegExp, what: string): void {
  const context = `${what}\n${result.stdout}\n${result.stderr}`;
  expectNoCrash(result, what);
  expect(result.code, context).toBe(1);
  // A refusal before the checklist is made (e.g. the file cannot be read at all) is an error object instead.
  if (result.json?.error) {
    expect(CODES, context).toContain(result.json.error.code);
    expect(result.json.error.message, context).toMatch(message);
    return;
  }
  expect(result.json, context).toMatchObject({ ok: false });
  const blockers = (result.json.items as { status: string; detail?: string }[]).filter((i) => i.status === 'blocker');
  expect(blockers.map((b) => b.detail ?? '').join('\n'), context).toMatch(message);
}

async function runEntry(h: Hostile, entry: Entry): Promise<void> {
  const what = `${slug(h.trick, h.form)} via ${entry}`;
  const message = REFUSAL[h.trick.name]!;
  const keys = h.form === 'gpg' ? ['--passphrase-env', 'GPG_PASS'] : [];
  const options = { env: GPG };
  switch (entry) {
    case 'restore --into':
      expectJsonRefusal(await lifeboat(home, ['restore', h.file, '--profile', 'pg', '--into', 'corpus_new', ...keys, '--json'], options), CODES, message, what);
      break;
    case 'restore --into --jobs 2':
      expectJsonRefusal(await lifeboat(home, ['restore', h.file, '--profile', 'pg', '--into', 'corpus_new', '--jobs', '2', ...keys, '--json'], options), CODES, message, what);
      break;
    case 'restore --data-only':
      expectJsonRefusal(await lifeboat(home, ['restore', h.file, '--profile', 'pg', '--data-only', 'target', '--tables', 't', ...keys, '--json'], options), CODES, message, what);
      break;
    case 'preflight --into':
      expectBlockedChecklist(await lifeboat(home, ['preflight', h.file, '--profile', 'pg', '--into', 'corpus_new', ...keys, '--json'], options), message, what);
      break;
    case 'preflight --data-only':
      expectBlockedChecklist(await lifeboat(home, ['preflight', h.file, '--profile', 'pg', '--data-only', 'target', '--tables', 't', ...keys, '--json'], options), message, what);
      break;
    case 'inspect':
      // inspect never starts psql; it reads the whole file (or pg_restore's output) with the same guard.
      expectJsonRefusal(await lifeboat(home, ['inspect', h.file, ...keys, '--json'], options), CODES, message, what);
      break;
    case 'drill':
      // A file the guard refuses is a backup that fails its drill (exit 1), not one the drill could not run.
      expectDrillRefusal(await lifeboat(home, ['drill', h.file, ...keys, '--json'], options), 1, CODES, message, what);
      break;
  }
  await expectUntouched(h, what);
}

/** Plain psql (no \restrict, as a user would run it) fed `shell`'s output into a fresh database; true when it ran the command. */
async function plainPsqlRuns(h: Hostile, feed: string): Promise<boolean> {
  await cluster.createDatabase('corpus_realcheck');
  try {
    await runTool(cluster, 'corpus_realcheck', 'psql', [], { shell: `${feed} | "$TOOL" -X -q --no-password -v ON_ERROR_STOP=1 --single-transaction >/dev/null 2>&1 || true` });
  } finally {
    await cluster.query('DROP DATABASE corpus_realcheck');
  }
  return (await markerFiles(h, true)).length > 0;
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-faults-corpus-');
  home = path.join(tmp.dir, 'home');
  files = path.join(tmp.dir, 'files');
  await mkdir(home);
  await mkdir(files);
  markers = await mkdtemp(path.join(tmp.dir, 'markers-'));
  await chmod(markers, 0o700);
  cluster = await startCluster(18);
  // The existing database rows-only restores write into (and the source of the custom-format dump),
  // and one no restore names.
  await cluster.createDatabase('target');
  await cluster.query(`CREATE TABLE t (a text); INSERT INTO t SELECT 'target row ' || g FROM generate_series(1, 50) g; COMMENT ON TABLE t IS '${COMMENT}'`, [], 'target');
  await cluster.createDatabase('other');
  await cluster.query("CREATE TABLE keep (id int PRIMARY KEY, note text); INSERT INTO keep SELECT g, 'other ' || g FROM generate_series(1, 20) g", [], 'other');
  placeholderDump = path.join(files, 'placeholder.dump');
  await runTool(cluster, 'target', 'pg_dump', ['--no-password', '-Fc', '-f', placeholderDump]);
  const dump = await readFile(placeholderDump);

  // A pg_dump-like prelude longer than the 4 KiB Lifeboat sniffs, then the trick.
  const rows = Array.from({ length: 400 }, (_, i) => `corpus row ${String(i).padStart(4, '0')}`).join('\n');
  const prelude = `--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\nCREATE TABLE public.t (a text);\n\nCOPY public.t (a) FROM stdin;\n${rows}\n\\.\n\n`;
  for (const trick of PSQL_TRICKS) {
    for (const form of FORMS) {
      if (!formFits(trick, form)) continue;
      const name = slug(trick, form);
      const markerDir = path.join(markers, name);
      await mkdir(markerDir);
      const payload = trickBytes(trick, path.join(markerDir, 'pwned'));
      const sql = Buffer.concat([Buffer.from(prelude), payload, Buffer.from('\n')]);
      const file = path.join(files, `${name}${{ sql: '.sql', gzip: '.sql.gz', zstd: '.sql.zst', gpg: '.sql.gpg', custom: '.dump' }[form]}`);
      if (form === 'custom') await writeFile(file, withTocBytes(dump, PLACEHOLDER, tocDefinition(payload)));
      else {
        const plain = path.join(files, `${name}.plain`);
        await writeFile(plain, sql);
        if (form === 'sql') await writeFile(file, sql);
        if (form === 'gzip') await run('sh', ['-c', `gzip -c -n ${quote(plain)} > ${quote(file)}`]);
        if (form === 'zstd') await run('zstd', ['-q', '-f', plain, '-o', file]);
        if (form === 'gpg') await gpgSymmetric(plain, file, GPG_PASSPHRASE);
        await rm(plain);
      }
      hostile.set(key(trick, form), { trick, form, file, markerDir });
    }
  }
  await addCliProfile(home, 'pg', cluster, 'postgres');
  before = await snapshot();
}, 120_000);

afterAll(async () => {
  if (home) await lifeboat(home, ['profile', 'remove', 'pg']);
  await cluster?.stop();
  await tmp?.restore();
});

describe('the corpus is real: without Lifeboat, psql runs each file\'s command', () => {
  it.each(PSQL_TRICKS.map((t) => [t.name, t] as const))('%s: the .sql file through plain psql; the .gz, .zst and .gpg files hold the same bytes', async (_name, trick) => {
    const sql = hostile.get(key(trick, 'sql'))!;
    expect(await plainPsqlRuns(sql, `cat ${quote(sql.file)}`), `plain psql did not run the command of ${sql.file}`).toBe(true);
    const bytes = await readFile(sql.file);
    const gzip = hostile.get(key(trick, 'gzip'))!;
    const zstd = hostile.get(key(trick, 'zstd'))!;
    const gpg = hostile.get(key(trick, 'gpg'))!;
    // The same trick, but each file names its own marker folder.
    const own = (h: Hostile) => Buffer.from(bytes.toString('latin1').replaceAll(sql.markerDir, h.markerDir), 'latin1');
    expect((await run('gzip', ['-dc', gzip.file], { encoding: 'buffer' })).stdout.equals(own(gzip)), `${gzip.file} does not hold the hostile script`).toBe(true);
    expect((await run('zstd', ['-dcq', zstd.file], { encoding: 'buffer' })).stdout.equals(own(zstd)), `${zstd.file} does not hold the hostile script`).toBe(true);
    const gnupg = await mkdtemp(path.join(tmp.dir, 'test-gnupg-'));
    try {
      await writeFile(path.join(gnupg, 'pass'), GPG_PASSPHRASE, { mode: 0o600 });
      const env = { ...process.env, GNUPGHOME: gnupg };
      const { stdout } = await run('gpg', ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase-file', path.join(gnupg, 'pass'), '--decrypt', gpg.file], { env, encoding: 'buffer' });
      expect(stdout.equals(own(gpg)), `${gpg.file} does not hold the hostile script`).toBe(true);
      await run('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => {});
    } finally {
      await rm(gnupg, { recursive: true, force: true });
    }
  });

  it.each(PSQL_TRICKS.filter((t) => t.fitsInToc).map((t) => [t.name, t] as const))('%s: the custom-format dump through pg_restore | plain psql', async (_name, trick) => {
    const custom = hostile.get(key(trick, 'custom'))!;
    // A sound dump apart from the trick: pg_restore reads all of it from the file (seeking to the data).
    await expect(run(bundledTool('pg_restore'), ['-f', '/dev/null', custom.file]), `pg_restore cannot read ${custom.file}`).resolves.toBeTruthy();
    // pg_restore 18 starts its output with \restrict; Lifeboat's guard blanks the file's own
    // \restrict lines (its own key comes first), so they are removed here too.
    const feed = `"${bundledTool('pg_restore')}" -f - ${quote(custom.file)} | sed -E '/^\\\\(un)?restrict /d'`;
    expect(await plainPsqlRuns(custom, feed), `pg_restore | psql did not run the command of ${custom.file}`).toBe(true);
  });

  it('the NUL-byte trick is not in a custom-format dump: pg_restore prints a definition only up to its NUL', async () => {
    const trick = PSQL_TRICKS.find((t) => !t.fitsInToc)!;
    expect(trick.text).toContain('\0');
    const file = path.join(files, 'nul-in-toc.dump');
    await writeFile(file, withTocBytes(await readFile(placeholderDump), PLACEHOLDER, tocDefinition(trickBytes(trick, '/nonexistent/marker'))));
    const { stdout } = await run(bundledTool('pg_restore'), ['-f', '-', file], { maxBuffer: 16 << 20 });
    expect(stdout).toContain("COMMENT ON TABLE public.t IS 'x';\nSET search_path = public;\nSELECT '");
    expect(stdout).not.toContain('touch');
  });
});

interface Case {
  name: string;
  trick: PsqlTrick;
  runs: [Form, Entry][];
}

/** Fast: per trick, the plain-SQL restore and one drawn (form, entry point); full: every form × entry point. */
function cases(): Case[] {
  const all: Case[] = [];
  const random = seededRandom(SEED * 7919);
  PSQL_TRICKS.forEach((trick) => {
    const forms = FORMS.filter((f) => formFits(trick, f));
    if (FULL_TIER) {
      for (const form of forms) all.push({ name: `${trick.name} (${form})`, trick, runs: ENTRIES.filter((e) => entryFits(form, e)).map((e) => [form, e]) });
      return;
    }
    const pairs = forms.flatMap((f) => ENTRIES.map((e) => [f, e] as [Form, Entry])).filter(([f, e]) => entryFits(f, e) && !(f === 'sql' && e === 'restore --into'));
    const [form, entry] = pairs[Math.floor(random() * pairs.length)]!;
    all.push({ name: `${trick.name} (sql via restore --into; seed ${SEED}: ${form} via ${entry})`, trick, runs: [['sql', 'restore --into'], [form, entry]] });
  });
  return all;
}

describe('every entry point refuses every hostile file; nothing runs, nothing outside the target changes', () => {
  it.each(cases())('$name', async ({ trick, runs }) => {
    for (const [form, entry] of runs) await runEntry(hostile.get(key(trick, form))!, entry);
  }, FULL_TIER ? 600_000 : 120_000);
});
