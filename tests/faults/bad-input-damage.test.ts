// Bad input, part 1: real archives cut short at many offsets and with bytes flipped at seeded random
// offsets. Every case must be refused with a specific message and change nothing: no database
// created, no temporary file or tool process left, and never a restore that reports success.
// Fast tier (npm test): ~10 cuts, 20 flips. Full tier (npm run test:faults): ~60 cuts, 200 flips.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { ageLayout, ageRegion, archivePlaintext, ciphertextOffset, craftArchive, tarLayout, type AgeLayout, type TarLayout } from '../support/archive-craft.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { dataFingerprint } from '../support/pg-tools.ts';
import { addCliProfile, databases, engineLeftovers, flipped, isolateTmp, lifeboat, processesWithEnv, settleToolChildren } from '../support/restore-fixtures.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';
import { FULL_TIER, forTier, seededRandom } from './fault-tier.ts';
import { expectDrillRefusal, expectHumanRefusal, expectJsonRefusal } from './refusal.ts';

const key = generateAgeKeyPair();
const keys = { identities: [key.identity] };
const SEED = 0x11fe_b0a7;

/** What a refusal of a damaged file may be called, and the words its message must use. */
const DAMAGE_CODES = ['ARCHIVE_DAMAGED', 'PREFLIGHT_BLOCKED', 'WRONG_KEY', 'NOT_AN_ARCHIVE'];
const DAMAGE_WORDS = /damaged|cut short|changed|ends right after its header|has no encrypted data|integrity check|None of the keys given can open|not something Lifeboat can restore|not a Lifeboat archive|is missing/i;

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
let home: string;
let keyFile: string;
let archive: string; // encrypted to `key`
let plainArchive: string; // --no-encrypt: the tar stream itself
let bytes: Buffer;
let layout: AgeLayout;
let tarEntries: TarLayout[]; // the encrypted archive's plaintext layout
let before: string[];
let shopAtStart: Record<string, string>;

type Failure = { code: string; message: string } | null;

/** Restores `file` into a new database in-process; null when it reported success. */
async function restoreOutcome(file: string, database: string): Promise<Failure> {
  return fixture.engine.restores.start({ file, profile: 'pg', mode: 'new', database, keys }).result.then(
    () => null,
    (e: { code?: string; message?: string }) => ({ code: e?.code ?? 'THROWN', message: e?.message ?? String(e) }),
  );
}

/** Nothing created, changed or left running. */
async function expectUntouched(what: string): Promise<void> {
  expect(await databases(cluster), what).toEqual(before);
  expect(await settleToolChildren(), `${what}: pg_restore/psql still running`).toEqual([]);
  expect(await engineLeftovers(tmp.dir), `${what}: temporary files left`).toEqual([]);
  expect(processesWithEnv('LIFEBOAT_HOME', home), `${what}: processes of the CLI left`).toEqual([]);
}

function expectDamageRefused(error: Failure, what: string): void {
  expect(error, `${what}: the restore reported success`).not.toBeNull();
  expect(DAMAGE_CODES, `${what}: ${error!.code} ${error!.message}`).toContain(error!.code);
  expect(error!.message, what).toMatch(DAMAGE_WORDS);
}

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-faults-damage-');
  home = path.join(tmp.dir, 'home');
  await mkdir(home);
  keyFile = path.join(home, 'recovery-key.txt');
  await writeFile(keyFile, `${key.identity}\n`, { mode: 0o600 });
  fixture = await createTestEngine({ secrets: new SessionSecretStore('bad input: damage') });
  cluster = await startCluster(18);
  await cluster.createDatabase('shopdb');
  await cluster.query(SAMPLE_SCHEMA_SQL, [], 'shopdb');
  // Incompressible rows, so the archive spans several 64 KiB age chunks and 8+ tar blocks of dump.
  await cluster.query(`CREATE TABLE public.noise (id int PRIMARY KEY, b bytea NOT NULL);
    INSERT INTO public.noise SELECT i, sha256(i::text::bytea) || sha256((-i)::text::bytea) FROM generate_series(1, 6000) i;`, [], 'shopdb');
  await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { database: 'shopdb', color: 'red' }));
  archive = (await fixture.engine.backups.start({ profile: 'pg', outDir: path.join(tmp.dir, 'enc'), encryption: { kind: 'recipients', recipients: [key.recipient] } }).result).archive;
  plainArchive = (await fixture.engine.backups.start({ profile: 'pg', outDir: path.join(tmp.dir, 'plain'), encryption: { kind: 'none' } }).result).archive;
  bytes = await readFile(archive);
  layout = ageLayout(bytes);
  tarEntries = tarLayout(await archivePlaintext(archive, keyFile));
  expect(layout.chunks.length, 'the archive should span several age chunks').toBeGreaterThanOrEqual(4);
  await addCliProfile(home, 'pg', cluster, 'shopdb');
  before = await databases(cluster);
  shopAtStart = await dataFingerprint(cluster, 'shopdb');
});
afterAll(async () => {
  if (home) await lifeboat(home, ['profile', 'remove', 'pg']);
  await fixture?.dispose();
  await cluster?.stop();
  await tmp?.restore();
});

describe('archives cut short', () => {
  /** Named cut points first (age header, MAC, nonce, chunk boundaries, the last bytes), then seeded random ones. */
  function cutPoints(): { at: number; why: string }[] {
    const c = layout.chunks;
    const named = [
      { at: 5, why: 'inside the age version line' },
      { at: 40, why: 'inside the recipient stanza' },
      { at: layout.macLine + 10, why: 'inside the header MAC' },
      { at: layout.headerEnd, why: 'right after the header' },
      { at: layout.headerEnd + 8, why: 'inside the stream nonce' },
      { at: layout.payload, why: 'before the first chunk' },
      { at: c[1]!, why: 'at a chunk boundary' },
      { at: c[2]! + 1234, why: 'inside a chunk' },
      { at: layout.size - 16, why: 'inside the final tag' },
      { at: layout.size - 1, why: 'the last byte' },
    ];
    const rand = seededRandom(SEED + 1);
    const random = Array.from({ length: forTier(0, 50) }, () => ({ at: 1 + Math.floor(rand() * (layout.size - 1)), why: 'seeded random' }));
    return [...named, ...random];
  }

  it(`an encrypted archive cut at ${forTier(10, 60)} offsets: refused, nothing changed`, async () => {
    const points = cutPoints();
    const seen = new Map<string, number>();
    for (const [i, { at, why }] of points.entries()) {
      const file = path.join(tmp.dir, `cut-${at}.lifeboat`); // no sidecar: the content checks must catch it
      await writeFile(file, bytes.subarray(0, at));
      const what = `cut at ${at} of ${layout.size} (${why}, ${ageRegion(layout, Math.max(at - 1, 0))})`;
      const error = await restoreOutcome(file, `cut_${i}`);
      expectDamageRefused(error, what);
      // Cut inside the version line it is no longer recognisable as an age file at all.
      if (at < 21) expect(error!.code, what).toBe('NOT_AN_ARCHIVE');
      seen.set(`${error!.code}: ${error!.message.replace(/\d+/g, 'N').slice(0, 90)}`, (seen.get(`${error!.code}: ${error!.message.replace(/\d+/g, 'N').slice(0, 90)}`) ?? 0) + 1);
      await expectUntouched(what);
      await rm(file);
    }
    console.log(`cut-short encrypted archive, ${points.length} offsets (${layout.size} bytes, ${layout.chunks.length} chunks):\n${[...seen].map(([k, n]) => `  ${n} × ${k}`).join('\n')}`);
  });

  it('the CLI refuses cut archives: restore, inspect, verify --full (and a drill) name the damage', async () => {
    const cuts = [
      { at: 30, codes: ['NOT_AN_ARCHIVE', 'ARCHIVE_DAMAGED'] },
      { at: layout.chunks[1]!, codes: ['ARCHIVE_DAMAGED', 'PREFLIGHT_BLOCKED'] },
      { at: layout.size - 1, codes: ['ARCHIVE_DAMAGED', 'PREFLIGHT_BLOCKED'] },
    ];
    for (const [i, { at, codes }] of (FULL_TIER ? cuts : cuts.slice(2)).entries()) {
      const file = path.join(tmp.dir, `cli-cut-${at}.lifeboat`);
      await writeFile(file, bytes.subarray(0, at));
      const what = `cut at ${at}`;
      expectJsonRefusal(await lifeboat(home, ['restore', file, '--profile', 'pg', '--into', `cli_cut_${i}`, '--identity', keyFile, '--json']), codes, DAMAGE_WORDS, `restore, ${what}`);
      expectHumanRefusal(await lifeboat(home, ['restore', file, '--profile', 'pg', '--into', `cli_cut_${i}`, '--identity', keyFile]), DAMAGE_WORDS, `restore (human), ${what}`);
      expectJsonRefusal(await lifeboat(home, ['inspect', file, '--identity', keyFile, '--json']), codes, DAMAGE_WORDS, `inspect, ${what}`);
      expectJsonRefusal(await lifeboat(home, ['verify', file, '--full', '--identity', keyFile, '--json']), codes, DAMAGE_WORDS, `verify --full, ${what}`);
      await expectUntouched(what);
    }
    // A drill of a cut archive is a failed drill (exit 1): the backup does not restore. (The fast tier drills a flipped one.)
    if (!FULL_TIER) return;
    const file = path.join(tmp.dir, 'drill-cut.lifeboat');
    await writeFile(file, bytes.subarray(0, layout.chunks[2]! + 500));
    expectDrillRefusal(await lifeboat(home, ['drill', file, '--identity', keyFile, '--json']), 1, ['ARCHIVE_DAMAGED'], DAMAGE_WORDS, 'drill of a cut archive');
    await expectUntouched('drill of a cut archive');
  });

  it('an unencrypted archive cut at every tar boundary (and inside its end marker): refused, nothing changed', async () => {
    const plain = await readFile(plainArchive);
    const entries = tarLayout(plain);
    const endMarker = entries.at(-1)!.data + Math.ceil((entries.at(-1)!.end - entries.at(-1)!.data) / 512) * 512;
    const points = [
      ...entries.flatMap((e) => [
        { at: e.header, why: `before ${e.name}` },
        { at: e.header + 100, why: `inside ${e.name}'s tar header` },
        { at: e.data, why: `after ${e.name}'s tar header` },
        ...(e.end > e.data + 10 ? [{ at: e.end - 7, why: `inside ${e.name}` }] : []),
        { at: e.end, why: `after ${e.name}'s data, before its padding` },
      ]),
      { at: endMarker, why: 'before the end-of-archive marker' },
      { at: endMarker + 512, why: 'inside the end-of-archive marker (one of its two zero blocks)' },
      { at: plain.length - 1, why: 'the last byte' },
    ].filter((p) => p.at > 0 && p.at < plain.length);
    for (const [i, { at, why }] of points.entries()) {
      const file = path.join(tmp.dir, `plain-cut-${at}.lifeboat`);
      await writeFile(file, plain.subarray(0, at));
      const what = `unencrypted archive cut at ${at} of ${plain.length} (${why})`;
      expectDamageRefused(await restoreOutcome(file, `plain_cut_${i}`), what);
      await expectUntouched(what);
      await rm(file);
    }
  });

  it('an archive whose tar stream was cut at a boundary and then encrypted (valid age, short tar): refused by the structure checks', async () => {
    const plain = await readFile(plainArchive);
    const entries = tarLayout(plain);
    const checksums = entries.find((e) => e.name === 'checksums.json')!;
    const cuts = [
      { at: entries[1]!.header, message: /damaged/ },
      { at: checksums.header, message: /checksums\.json is missing|cut short|damaged/ },
      { at: plain.length - 512, message: /end-of-archive|cut short|damaged/ },
    ];
    for (const [i, { at, message }] of cuts.entries()) {
      const file = path.join(tmp.dir, `short-tar-${at}.lifeboat`);
      await craftArchive({ from: archive, identityFile: keyFile, out: file, recipient: key.recipient, plaintextLength: at });
      const what = `tar cut at ${at} then encrypted`;
      const error = await restoreOutcome(file, `short_tar_${i}`);
      expectDamageRefused(error, what);
      expect(error!.message, what).toMatch(message);
      await expectUntouched(what);
    }
  });
});

describe('flipped bytes', () => {
  /**
   * Unique offsets: the first and last byte, the bytes holding each tar header's name and the end
   * marker (tar boundaries inside the ciphertext), ~1 in 5 in the age header and stream nonce, the rest anywhere.
   */
  function flipCases(count: number): { offset: number; mask: number }[] {
    const rand = seededRandom(SEED);
    const boundaries = tarEntries.map((e) => ciphertextOffset(layout, e.header)).slice(0, Math.max(0, count / 10 - 2));
    const offsets = new Set<number>([0, layout.size - 1, ...boundaries]);
    while (offsets.size < count) {
      const inHeader = rand() < 0.2;
      offsets.add(Math.floor(rand() * (inHeader ? layout.payload : layout.size)));
    }
    return [...offsets].map((offset) => ({ offset, mask: 1 + Math.floor(rand() * 255) }));
  }

  it(`${forTier(20, 200)} seeded flips of a real encrypted archive: every one refused, none restores`, async () => {
    const cases = flipCases(forTier(20, 200));
    expect(cases).toHaveLength(forTier(20, 200));
    const tally = new Map<string, number>();
    let refused = 0;
    let restored = 0;
    const t0 = performance.now();
    for (const [i, { offset, mask }] of cases.entries()) {
      const file = path.join(tmp.dir, `flip-${offset}.lifeboat`); // no sidecar: the content checks must catch it
      await writeFile(file, flipped(bytes, offset, mask));
      const region = ageRegion(layout, offset);
      const what = `flip #${i} at ${offset} (${region}) mask 0x${mask.toString(16)}`;
      const error = await restoreOutcome(file, `flip_${i}`);
      if (error) refused++;
      else restored++;
      expectDamageRefused(error, what);
      const kind = error!.code === 'WRONG_KEY' ? 'no key matches (header changed)'
        : error!.code === 'NOT_AN_ARCHIVE' ? 'not an age file any more'
          : /integrity check/.test(error!.message) && /header/.test(error!.message) ? 'header MAC fails'
            : /header/.test(error!.message) ? 'header unreadable'
              : /block failed its integrity check/.test(error!.message) ? 'payload chunk fails authentication'
                : error!.message;
      tally.set(`${region}: ${kind}`, (tally.get(`${region}: ${kind}`) ?? 0) + 1);
      await expectUntouched(what);
      await rm(file);
    }
    const lines = [...tally].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(3)} × ${k}`);
    console.log(`flipped bytes (seed 0x${SEED.toString(16)}, ${cases.length} positions of a ${layout.size}-byte archive, ${((performance.now() - t0) / 1000).toFixed(1)} s): ${refused} refused, ${restored} restored\n${lines.join('\n')}`);
    expect({ refused, restored }).toEqual({ refused: cases.length, restored: 0 });
    expect(await dataFingerprint(cluster, 'shopdb')).toEqual(shopAtStart);
  });

  it('the CLI refuses flipped archives: restore, inspect and verify --full exit 1 with the damage named; a drill fails', async () => {
    const cases = flipCases(forTier(20, 200)).filter((_, i) => i % 10 === 0);
    for (const [i, { offset, mask }] of cases.entries()) {
      const file = path.join(tmp.dir, `cli-flip-${offset}.lifeboat`);
      await writeFile(file, flipped(bytes, offset, mask));
      const what = `flip at ${offset} (${ageRegion(layout, offset)})`;
      expectJsonRefusal(await lifeboat(home, ['restore', file, '--profile', 'pg', '--into', `cli_flip_${i}`, '--identity', keyFile, '--json']), DAMAGE_CODES, DAMAGE_WORDS, `restore, ${what}`);
      if (i % 2 === 0) expectJsonRefusal(await lifeboat(home, ['verify', file, '--full', '--identity', keyFile, '--json']), DAMAGE_CODES, DAMAGE_WORDS, `verify --full, ${what}`);
      else expectJsonRefusal(await lifeboat(home, ['inspect', file, '--identity', keyFile, '--json']), DAMAGE_CODES, DAMAGE_WORDS, `inspect, ${what}`);
      await expectUntouched(what);
      await rm(file);
    }
    // Quick verify (no key needed) against the sidecar: the sha256 no longer matches.
    const file = path.join(tmp.dir, 'flip-with-sidecar.lifeboat');
    await writeFile(file, flipped(bytes, layout.chunks[1]! + 77));
    await writeFile(`${file}.json`, await readFile(`${archive}.json`));
    expectJsonRefusal(await lifeboat(home, ['verify', file, '--json']), ['ARCHIVE_DAMAGED'], /sha256 does not match/, 'quick verify of a flipped archive with its sidecar');
    // A drill of an archive flipped in its payload fails (exit 1) and names the damage.
    expectDrillRefusal(await lifeboat(home, ['drill', file, '--identity', keyFile, '--json']), 1, ['ARCHIVE_DAMAGED'], DAMAGE_WORDS, 'drill of a flipped archive');
    await expectUntouched('drill of a flipped archive');
  });

  it('a flip inside the dump of an unencrypted archive: the dump checksum names it', async () => {
    const plain = await readFile(plainArchive);
    const dump = tarLayout(plain).find((e) => e.name === 'database.dump.0001')!;
    const file = path.join(tmp.dir, 'plain-flip.lifeboat');
    await writeFile(file, flipped(plain, dump.data + Math.floor((dump.end - dump.data) / 2)));
    const error = await restoreOutcome(file, 'plain_flip');
    expectDamageRefused(error, 'unencrypted flip in the dump');
    expect(error!.message).toMatch(/database dump does not match its checksum/);
    await expectUntouched('unencrypted flip in the dump');
  });
});
