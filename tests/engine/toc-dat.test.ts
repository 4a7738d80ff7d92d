// The toc.dat reader against the tool it imitates: for real directory dumps (the bundled pg_dump 18
// and Debian's pg_dump 15), its entries print exactly as `pg_restore --list --verbose` prints them;
// for damaged copies (random byte changes, truncations, crafted lengths) it either refuses with a
// LifeboatError naming toc.dat, or reads what pg_restore reads — never a crash, never a hang.
import { execFile } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/engine/errors.ts';
import { readCustomToc, readTocDat, type TocDat } from '../../main/engine/restore/toc-dat.ts';
import { forTier, seededRandom } from '../faults/fault-tier.ts';
import { withTocString } from '../support/archive-craft.ts';
import { startCluster, type Cluster } from '../support/pg-cluster.ts';
import { bundledTool, runTool } from '../support/pg-tools.ts';
import { isolateTmp } from '../support/restore-fixtures.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

const run = promisify(execFile);
const DEBIAN_PG_DUMP_15 = '/usr/lib/postgresql/15/bin/pg_dump';

let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
const dumps: { name: string; dir: string; toc: Buffer }[] = [];

// Names pg_restore prints with newlines replaced, schema NULL as "-" (pg_dump's dumputils.c sanitize_line).
const sanitize = (text: string | null, hyphen = false) => (text === null ? (hyphen ? '-' : '') : text.replace(/[\r\n]/g, ' '));

/** What `pg_restore --list --verbose` prints for a TOC, but its creation-time line (mktime in pg_restore's time zone). */
function expectedListing(toc: TocDat): string {
  const { header } = toc;
  const lines = [
    ';',
    `;     dbname: ${sanitize(header.database)}`,
    `;     TOC Entries: ${header.tocCount}`,
    `;     Compression: ${header.compression}`,
    `;     Dump Version: 1.${header.minor}-0`,
    ';     Format: DIRECTORY',
    `;     Integer: ${header.intSize} bytes`,
    `;     Offset: ${header.offSize} bytes`,
    ...(header.serverVersion === null ? [] : [`;     Dumped from database version: ${header.serverVersion}`]),
    ...(header.pgDumpVersion === null ? [] : [`;     Dumped by pg_dump version: ${header.pgDumpVersion}`]),
    ';', ';', '; Selected TOC Entries:', ';',
  ];
  for (const e of toc.entries) {
    lines.push(`${e.dumpId}; ${e.tableoid} ${e.oid} ${e.desc} ${sanitize(e.namespace, true)} ${sanitize(e.tag)} ${sanitize(e.owner)}`);
    if (e.dependencies.length) lines.push(`;\tdepends on: ${e.dependencies.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** pg_restore's listing, read as bytes (latin1), without the creation-time line. */
async function pgRestoreListing(dir: string): Promise<{ ok: true; text: string } | { ok: false; errors: string }> {
  try {
    const { stdout } = await run(bundledTool('pg_restore'), ['--list', '--verbose', dir], { encoding: 'latin1', maxBuffer: 64 << 20, timeout: 20_000, env: { ...process.env, LC_ALL: 'C' } });
    return { ok: true, text: stdout.split('\n').filter((line) => !line.startsWith('; Archive created at ')).join('\n') };
  } catch (error) {
    const failure = error as { stderr?: string; signal?: string; code?: number };
    return { ok: false, errors: `${failure.signal ?? failure.code}: ${failure.stderr ?? ''}` };
  }
}

/** Our verdict: entries, or a LifeboatError (anything else thrown fails the test). */
function ourReading(bytes: Buffer): TocDat | LifeboatError {
  const started = performance.now();
  try {
    return readTocDat(bytes, { text: 'latin1' });
  } catch (error) {
    if (!(error instanceof LifeboatError)) throw error;
    return error;
  } finally {
    // Linear in the file: a few KB must never take long, whatever lengths and counts it claims.
    expect(performance.now() - started).toBeLessThan(250);
  }
}

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-toc-dat-');
  // PostgreSQL 15: both the bundled pg_dump 18 and Debian's pg_dump 15 can dump it.
  cluster = await startCluster(15);
  await cluster.createDatabase('app');
  await cluster.query(SAMPLE_SCHEMA_SQL, [], 'app');
  await cluster.query(`CREATE SCHEMA "we ird"; CREATE TABLE "we ird"."line\nbreak" (x int); COMMENT ON SCHEMA "we ird" IS 'ünïcode'; GRANT SELECT ON shop.customers TO PUBLIC`, [], 'app');
  const made: [string, string, string][] = [
    ['pg_dump 18 -Fd', '"$TOOL"', ''],
    ['pg_dump 18 -Fd -Z zstd --statistics', '"$TOOL"', '--compress=zstd --statistics'],
    ['pg_dump 15 -Fd', DEBIAN_PG_DUMP_15, ''],
  ];
  for (const [name, tool, extra] of made) {
    const dir = path.join(tmp.dir, name.replace(/\W+/g, '-'));
    await runTool(cluster, 'app', 'pg_dump', [], { shell: `set -e; ${tool} --no-password -Fd ${extra} -f "${dir}"` });
    dumps.push({ name, dir, toc: await readFile(path.join(dir, 'toc.dat')) });
  }
});
afterAll(async () => {
  await cluster?.stop();
  await tmp?.restore();
});

describe('real custom-format dumps (what pg_restore -j runs is checked on their table of contents)', () => {
  it('every entry prints as pg_restore --list --verbose prints it, and each TABLE DATA entry has its COPY', async () => {
    const made: [string, string, string][] = [['pg_dump 18 -Fc', '"$TOOL"', ''], ['pg_dump 18 -Fc -Z zstd', '"$TOOL"', '--compress=zstd'], ['pg_dump 15 -Fc', DEBIAN_PG_DUMP_15, '']];
    for (const [name, tool, extra] of made) {
      const file = path.join(tmp.dir, `${name.replace(/\W+/g, '-')}.dump`);
      await runTool(cluster, 'app', 'pg_dump', [], { shell: `set -e; ${tool} --no-password -Fc ${extra} -f "${file}"` });
      const ours = await readCustomToc(file);
      const theirs = await pgRestoreListing(file);
      expect(theirs, name).toMatchObject({ ok: true });
      expect(expectedListing(ours).replace('Format: DIRECTORY', 'Format: CUSTOM'), name).toBe((theirs as { text: string }).text);
      const data = ours.entries.filter((e) => e.desc === 'TABLE DATA');
      expect(data.length, name).toBeGreaterThan(5);
      for (const e of data) expect(e.copyStatement, `${name}: ${e.tag}`).toMatch(/^COPY [\s\S]* FROM stdin;\n$/);
      expect(ours.entries.find((e) => e.desc === 'TABLE')?.definition, name).toMatch(/^CREATE TABLE /);
    }
  });

  it('a file cut inside its table of contents is refused as damage, not read as far as it goes', async () => {
    const file = path.join(tmp.dir, 'cut.dump');
    await runTool(cluster, 'app', 'pg_dump', [], { shell: `"$TOOL" --no-password -Fc -f "${file}"` });
    const bytes = await readFile(file);
    const cut = path.join(tmp.dir, 'cut-short.dump');
    await writeFile(cut, bytes.subarray(0, 3000));
    await expect(readCustomToc(cut)).rejects.toThrow(/custom-format dump's table of contents is damaged/);
  });
});

describe('real directory dumps', () => {
  it('every entry (dump ID, OIDs, type, schema, tag, owner, dependencies) prints exactly as pg_restore --list --verbose prints it', async () => {
    for (const dump of dumps) {
      const ours = readTocDat(dump.toc, { text: 'latin1' });
      const theirs = await pgRestoreListing(dump.dir);
      expect(theirs, dump.name).toMatchObject({ ok: true });
      expect(expectedListing(ours), dump.name).toBe((theirs as { text: string }).text);
      expect(ours.entries.filter((e) => e.desc === 'TABLE DATA').length, dump.name).toBeGreaterThan(5);
      expect(ours.entries.some((e) => e.desc === 'BLOBS' && e.dataFile !== null), `${dump.name}: a large-object TOC`).toBe(true);
      for (const e of ours.entries) if (e.dataFile) expect(e.dataFile, dump.name).toMatch(/^(\d+\.dat|blobs(_\d+)?\.toc)$/);
    }
    expect(dumps.map((d) => readTocDat(d.toc).header.minor)).toEqual([16, 16, 14]);
  });
});

describe('damaged and crafted toc.dat', () => {
  /** A copy of the dump to overwrite toc.dat in (pg_restore --list reads nothing else). */
  async function scratchCopy(dump: (typeof dumps)[number]): Promise<string> {
    const dir = `${dump.dir}-fuzz`;
    await cp(dump.dir, dir, { recursive: true });
    return dir;
  }

  /** One mutated toc.dat, judged by both readers. Returns whether ours accepted it. */
  async function judge(dir: string, bytes: Buffer, what: string): Promise<boolean> {
    await writeFile(path.join(dir, 'toc.dat'), bytes);
    const ours = ourReading(bytes);
    if (ours instanceof LifeboatError) {
      expect(['ARCHIVE_DAMAGED', 'ARCHIVE_UNSUPPORTED', 'INVALID_INPUT'], what).toContain(ours.code);
      expect(ours.message, what).toMatch(/toc\.dat/);
      expect(ours.fix, what).toBeTruthy();
      return false;
    }
    const theirs = await pgRestoreListing(dir);
    expect(theirs, `${what}: Lifeboat read it, pg_restore did not`).toMatchObject({ ok: true });
    expect(expectedListing(ours), `${what}: read differently`).toBe((theirs as { text: string }).text);
    return true;
  }

  it('random byte changes and truncations: refused with a clear error, or read as pg_restore reads them', async () => {
    const cases = forTier(120, 600);
    for (const dump of dumps) {
      const dir = await scratchCopy(dump);
      const random = seededRandom(0x70c + dump.toc.length);
      const pick = (n: number) => Math.floor(random() * n);
      // The fields that decide how the rest is read sit in the header and in each entry's lengths and
      // names: half the changes go to the first 256 bytes or next to a data-file name.
      const names = [...dump.toc.toString('latin1').matchAll(/\d+\.dat|blobs(_\d+)?\.toc/g)].map((m) => m.index!);
      let accepted = 0;
      for (let i = 0; i < cases; i++) {
        const bytes = Buffer.from(dump.toc);
        const kind = pick(4);
        let what: string;
        if (kind === 3) {
          const length = pick(bytes.length);
          what = `${dump.name} case ${i}: cut to ${length} bytes`;
          if (await judge(dir, bytes.subarray(0, length), what)) accepted++;
          continue;
        }
        const offset = kind === 0 ? pick(bytes.length) : kind === 1 ? pick(Math.min(256, bytes.length)) : Math.max(0, names[pick(names.length)]! - 5 + pick(14));
        const value = pick(2) ? bytes[offset]! ^ (1 << pick(8)) : pick(256);
        what = `${dump.name} case ${i}: byte ${offset} 0x${bytes[offset]!.toString(16)} → 0x${value.toString(16)}`;
        bytes[offset] = value;
        if (await judge(dir, bytes, what)) accepted++;
      }
      // Both verdicts happen: most changes in SQL text are harmless, most in the structure are not.
      expect(accepted, dump.name).toBeGreaterThan(cases / 10);
      expect(accepted, dump.name).toBeLessThan(cases);
    }
  }, forTier(60_000, 300_000));

  it('every header byte set to 0x00 and 0xff (full tier: also 0x7f, and the pg_dump 15 dump too): refused or read alike', async () => {
    for (const dump of forTier([dumps[0]!], [dumps[0]!, dumps[2]!])) {
      const dir = await scratchCopy(dump);
      for (let offset = 0; offset < 120; offset++) {
        for (const value of forTier([0x00, 0xff], [0x00, 0x7f, 0xff])) {
          const bytes = Buffer.from(dump.toc);
          bytes[offset] = value;
          await judge(dir, bytes, `${dump.name}: header byte ${offset} → 0x${value.toString(16)}`);
        }
      }
    }
  }, forTier(60_000, 300_000));

  it('lengths and counts that claim gigabytes are refused at once, naming what is wrong', () => {
    const toc = dumps[0]!.toc;
    // The entry count sits right after the pg_dump version string.
    const version = toc.indexOf('18.6', 0, 'latin1');
    const countAt = version + 4;
    const huge = Buffer.from(toc);
    huge.writeInt32LE(0x7fffffff, countAt + 1);
    expect(() => readTocDat(huge)).toThrow(/claims 2147483647 entries/);
    // The database name's length.
    const nameAt = toc.indexOf('app', 0, 'latin1') - 5;
    const long = Buffer.from(toc);
    long.writeInt32LE(0x7ffffff0, nameAt + 1);
    expect(() => readTocDat(long)).toThrow(/the database name \(at byte \d+\) claims 2147483632 bytes, but only \d+ are left/);
    expect(() => readTocDat(Buffer.from('PGDMP'))).toThrow(/ends inside the version/);
    expect(() => readTocDat(Buffer.alloc(0))).toThrow(/ends inside the header/);
    expect(() => readTocDat(Buffer.from(`PGDMP${String.fromCharCode(1, 17, 0)}`, 'latin1'))).toThrow(expect.objectContaining({ code: 'ARCHIVE_UNSUPPORTED', message: expect.stringMatching(/archive version 1\.17-0; Lifeboat reads versions 1\.12 to 1\.16/) }));
  });

  it('a data-file name that leaves the folder: pg_restore would list it; Lifeboat refuses it, naming it', async () => {
    const dump = dumps[0]!;
    const ours = readTocDat(dump.toc);
    const data = ours.entries.find((e) => e.desc === 'TABLE DATA')!;
    const crafted = withTocString(dump.toc, data.dataFile!, '../../../../etc/passwd');
    const dir = await scratchCopy(dump);
    await writeFile(path.join(dir, 'toc.dat'), crafted);
    // pg_restore itself has no objection: it would open <folder>/../../../../etc/passwd when restoring.
    expect(await pgRestoreListing(dir)).toMatchObject({ ok: true });
    expect(() => readTocDat(crafted)).toThrow(expect.objectContaining({ code: 'ARCHIVE_DAMAGED', message: expect.stringMatching(/names the data file "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" for entry \d+ \(dump ID \d+\) \(TABLE DATA\)/) }));
    // A large-object TOC named like a table's data file (pg_restore would read it as "<oid> <file>" lines).
    const blobs = ours.entries.find((e) => e.desc === 'BLOBS')!;
    expect(() => readTocDat(withTocString(dump.toc, blobs.dataFile!, `${data.dumpId}.dat`))).toThrow(/names the data file "\d+\.dat" for entry \d+ \(dump ID \d+\) \(BLOBS\)/);
  });

  it('an ENCODING or STDSTRINGS entry pg_restore would reject is refused too', async () => {
    const dump = dumps[0]!;
    const dir = await scratchCopy(dump);
    for (const [from, to] of [["'UTF8'", "'UTF9'"], ["'on'", "'no'"], ["'UTF8'", "'utf-8'"]] as const) {
      const bytes = Buffer.from(dump.toc);
      const at = bytes.indexOf(from, 0, 'latin1');
      bytes.write(to, at, 'latin1');
      const accepted = await judge(dir, bytes, `${from} → ${to}`);
      // "utf-8" is a name pg_restore accepts (it drops punctuation and case): so does Lifeboat.
      expect(accepted, `${from} → ${to}`).toBe(to === "'utf-8'");
    }
  });
});
