// Issue 12, "Strangers' files decide retention": anyone who can write to a backup folder can drop
// files whose sidecars claim a profile, future dates, "verified" and "drilled". With real backups of a
// real server and a dozen such decoys next to them, prune decides exactly as without them (and deletes
// none of them), the stale alert says what it says without them, and the drill target is the real
// newest backup. A real archive whose sidecar has no tag (an older Lifeboat's) is recognised again
// only after a full verification finds it made with this Lifeboat's own key.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveEntry } from '../../main/engine/archive/library-service.ts';
import { LIBRARY_KEY_FILE } from '../../main/engine/archive/sidecar-tag.ts';
import type { RetentionDecision, RetentionPolicy } from '../../main/engine/retention/retention-policy.ts';
import { NOT_RECOGNISED_REASON } from '../../main/engine/schedule/schedule-service.ts';
import { openSecretStore } from '../../main/engine/secrets/keychain-store.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, REPO_ROOT, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';

const POLICY: RetentionPolicy = { keepLast: 0, keepDaily: 2, keepWeekly: 0, keepMonthly: 0, keepYearly: 0, keepMinimum: 1 };
const DAYS = ['2026-03-01', '2026-03-08', '2026-03-15', '2026-03-20', '2026-03-21', '2026-03-22'];

let cluster: Cluster;
let fixture: EngineFixture;
let work: string;
let folder: string;
/** A second library folder: sidecars copied from the first one land here under the same names. */
let other: string;
let now = new Date('2026-03-01T10:00:00Z');
const clock = { now: () => now };
/** The real backups, oldest first. */
const real: string[] = [];
const decoys: string[] = [];
const sidecarOf = async (file: string) => JSON.parse(await readFile(`${file}.json`, 'utf8'));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const byPath = (decisions: RetentionDecision[]) => new Map(decisions.map((d) => [d.path, d]));
/** The Drills screen's "latest backup" per connection (renderer/stores/drills-store.ts; imported by path: the tests' tsconfig does not compile the renderer). */
let latestByProfile: (archives: ArchiveEntry[]) => Map<string, ArchiveEntry>;

beforeAll(async () => {
  ({ latestByProfile } = await import(pathToFileURL(path.join(REPO_ROOT, 'renderer/stores/drills-store.ts')).href));
  work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-decoys-'));
  folder = path.join(work, 'backups');
  other = path.join(work, 'elsewhere');
  await mkdir(other);
  cluster = await startCluster(18);
  await cluster.createDatabase('shop');
  await cluster.query("CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 200) i;", [], 'shop');
  // Lifeboat's own key in a keychain of its own (a desktop install): the library key lives there too.
  const secrets = await openSecretStore(`Lifeboat test ${randomBytes(6).toString('hex')}`);
  fixture = await createTestEngine({ secrets, clock });
  const { engine } = fixture;
  engine.settings.update({ backupFolder: folder, libraryFolders: [other], timeZone: 'UTC' });
  await engine.keys.ensureIdentity();
  await engine.profiles.add(clusterProfile(cluster, 'shop', { database: 'shop' }));
  for (const day of DAYS) {
    now = new Date(`${day}T10:00:00Z`);
    real.push((await engine.backups.start({ profile: 'shop' }).result).archive);
  }
  // The second backup is verified: "the newest verified backup" is never pruned.
  now = new Date('2026-03-22T12:00:00Z');
  await engine.library.verify(real[1]!, 'quick').result;
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  if (fixture) await fixture.engine.secrets.delete('age-identity').catch(() => {});
  await fixture?.dispose();
  await rm(work, { recursive: true, force: true });
});

/** Random bytes named like a backup of "shop", with a sidecar built from a real one by `edit`. */
async function plantDecoy(dir: string, name: string, size: number, edit: (sidecar: Record<string, unknown>, bytes: Buffer) => Record<string, unknown>): Promise<string> {
  const file = path.join(dir, name);
  const bytes = randomBytes(size);
  await writeFile(file, bytes);
  const template = await sidecarOf(real[5]!);
  await writeFile(`${file}.json`, JSON.stringify(edit(template, bytes), null, 2));
  decoys.push(file);
  return file;
}

/** Twelve and more strangers' files, each claiming to be the newest, verified, drilled backup of "shop". */
async function plantDecoys(): Promise<void> {
  const claims = (day: number) => ({ createdAt: `2027-01-${String(day).padStart(2, '0')}T10:00:00.000Z`, finishedAt: `2027-01-${String(day).padStart(2, '0')}T10:01:00.000Z`, verification: { at: '2027-02-01T00:00:00.000Z', level: 'full', ok: true, message: 'verified' }, drill: { at: '2027-02-01T00:00:00.000Z', passed: true, recoveryMs: 1000 } });
  for (let day = 1; day <= 8; day++) {
    // A sidecar written from scratch: no tag at all, every fact consistent with the file.
    const name = `shop_shop_202701${String(day).padStart(2, '0')}T100000Z.lifeboat`;
    await plantDecoy(folder, name, 4096 + day, ({ libraryTag: _tag, ...s }, bytes) => ({ ...s, ...claims(day), archive: name, bytes: bytes.length, sha256: sha256(bytes) }));
  }
  for (let day = 9; day <= 10; day++) {
    // A real sidecar's tag kept over edited facts.
    const name = `shop_shop_202701${String(day).padStart(2, '0')}T100000Z.lifeboat`;
    await plantDecoy(folder, name, 5000, (s, bytes) => ({ ...s, ...claims(day), archive: name, bytes: bytes.length, sha256: sha256(bytes) }));
  }
  // A copy of the newest real archive under a later name, its real sidecar with edited dates and name.
  const renamed = path.join(folder, 'shop_shop_20270111T100000Z.lifeboat');
  await copyFile(real[5]!, renamed);
  await writeFile(`${renamed}.json`, JSON.stringify({ ...(await sidecarOf(real[5]!)), ...claims(11), archive: path.basename(renamed) }));
  decoys.push(renamed);
  // Real sidecars copied into another library folder next to random bytes of the same name and size, dates edited.
  for (const [index, day] of [[5, 12], [4, 13]] as const) {
    const source = await sidecarOf(real[index]!);
    await plantDecoy(other, path.basename(real[index]!), source.bytes, (s) => ({ ...s, ...source, ...claims(day) }));
  }
  // A sidecar that only claims to be "shop" (the file name says otherwise).
  await plantDecoy(folder, 'other_db_20270114T100000Z.lifeboat', 3000, ({ libraryTag: _tag, ...s }, bytes) => ({ ...s, ...claims(14), archive: 'other_db_20270114T100000Z.lifeboat', bytes: bytes.length, sha256: sha256(bytes) }));
}

describe('decoys next to real backups', () => {
  let baseline: { plan: RetentionDecision[]; latest: string; list: ArchiveEntry[] };

  it('without decoys: every real backup is recognised; the plan deletes the old unproven ones; the stale alert fires', async () => {
    const { engine } = fixture;
    const list = await engine.library.list({ profile: 'shop' });
    expect(list.map((e) => e.path).sort()).toEqual([...real].sort());
    expect(list.every((e) => e.recognised)).toBe(true);
    const plan = (await engine.schedules.previewRetention('shop', POLICY)).decisions;
    expect(plan.filter((d) => !d.keep).map((d) => d.path).sort()).toEqual([real[0], real[2], real[3]].sort());
    expect(byPath(plan).get(real[1]!)!.reasons).toContain('newest verified or drilled backup');
    baseline = { plan, latest: latestByProfile(list).get('shop')!.path, list };
    expect(baseline.latest).toBe(real[5]);

    await engine.schedules.set('shop', { notify: { webhookUrl: null, onSuccess: false, desktop: false, staleHours: 24 } });
    now = new Date('2026-03-24T12:00:00Z');
    expect(await engine.schedules.runDue()).toEqual([
      { profile: 'shop', kind: 'stale-alert', result: 'ok', detail: 'Lifeboat: no successful backup of "shop" for more than 24 hours (last: 2026-03-22T10:00:00.000Z).' },
    ]);
  });

  it('with decoys: the same plan for every real backup; decoys listed as unrecognised and kept; the same stale alert and latest backup', async () => {
    const { engine } = fixture;
    await plantDecoys();
    expect(decoys.length).toBeGreaterThanOrEqual(12);
    // Soft: each outcome is reported on its own (with the tag check off, all of them fail).
    const list = await engine.library.list({ profile: 'shop' });
    expect.soft(latestByProfile(list).get('shop')?.path, 'latest backup').toBe(baseline.latest);
    const plan = byPath((await engine.schedules.previewRetention('shop', POLICY)).decisions);
    for (const decision of baseline.plan) expect.soft(plan.get(decision.path), decision.path).toEqual(decision);
    // Past the alert's once-per-24-hours window: it fires again, naming the same real last backup.
    now = new Date('2026-03-25T13:00:00Z');
    expect.soft(await engine.schedules.runDue(), 'stale alert').toEqual([
      { profile: 'shop', kind: 'stale-alert', result: 'ok', detail: 'Lifeboat: no successful backup of "shop" for more than 24 hours (last: 2026-03-22T10:00:00.000Z).' },
    ]);
    for (const file of real) expect.soft(list.find((e) => e.path === file)?.recognised, file).toBe(true);
    for (const file of decoys) {
      expect.soft(list.find((e) => e.path === file)?.recognised, file).toBe(false);
      expect.soft(plan.get(file), file).toMatchObject({ keep: true, reasons: [NOT_RECOGNISED_REASON] });
    }
  });

  it('prune deletes exactly what it would without the decoys, and no decoy', async () => {
    await fixture.engine.schedules.set('shop', { retention: POLICY });
    const pruned = await fixture.engine.schedules.prune('shop');
    expect(pruned.blocked).toBeNull();
    expect(pruned.deleted.sort()).toEqual(baseline.plan.filter((d) => !d.keep).map((d) => d.path).sort());
    for (const file of decoys) expect(existsSync(file), file).toBe(true);
    for (const file of [real[1]!, real[4]!, real[5]!]) expect(existsSync(file), file).toBe(true);
  });

  it('the scheduled drill drills the real newest backup, not a decoy', async () => {
    const { engine } = fixture;
    await engine.schedules.set('shop', { drill: { preset: 'daily', time: '01:00', enabled: true }, notify: { webhookUrl: null, onSuccess: false, desktop: false, staleHours: null } });
    now = new Date('2026-03-26T02:00:00Z');
    const runs = await engine.schedules.runDue();
    expect(runs).toEqual([expect.objectContaining({ kind: 'drill', result: 'ok', archive: real[5] })]);
    // The drill's mark keeps the sidecar recognised.
    const entry = (await engine.library.list({ profile: 'shop' })).find((e) => e.path === real[5])!;
    expect(entry).toMatchObject({ recognised: true, sidecar: { drill: { passed: true } } });
  }, 120_000);

  it('a real backup whose sidecar lost its tag (an older Lifeboat) is unrecognised until a full verification with the own key recognises it', async () => {
    const { engine } = fixture;
    const file = real[4]!;
    const { libraryTag, ...untagged } = await sidecarOf(file);
    expect(libraryTag).toMatch(/^[0-9a-f]{64}$/);
    // As an older Lifeboat wrote it (no tag), and with a date someone moved.
    await writeFile(`${file}.json`, JSON.stringify({ ...untagged, createdAt: '2027-06-01T00:00:00.000Z' }, null, 2));
    expect((await engine.library.list({ profile: 'shop' })).find((e) => e.path === file)?.recognised).toBe(false);
    expect(byPath((await engine.schedules.previewRetention('shop', POLICY)).decisions).get(file)).toMatchObject({ keep: true, reasons: [NOT_RECOGNISED_REASON] });

    const result = await engine.library.recognise(file).result;
    expect(result.recognised).toBe(true);
    expect(result.checks.join('\n')).toMatch(/own key: its sidecar is rewritten from the archive/);
    const entry = (await engine.library.list({ profile: 'shop' })).find((e) => e.path === file)!;
    // The facts now come from the archive's own manifest: the real date is back.
    expect(entry).toMatchObject({ recognised: true, sidecar: { createdAt: '2026-03-21T10:00:00.000Z', verification: { level: 'full', ok: true } } });
    expect(byPath((await engine.schedules.previewRetention('shop', POLICY)).decisions).get(file)?.reasons).toEqual(['daily 2026-03-21']);
  }, 120_000);

  it("a stranger's archive encrypted to this Lifeboat's public key decrypts and verifies, but is not recognised", async () => {
    const stranger = await createTestEngine({ secrets: new SessionSecretStore('stranger') });
    try {
      const recipient = (await fixture.engine.keys.status()).recipient!;
      await stranger.engine.profiles.add(clusterProfile(cluster, 'shop', { database: 'shop', color: 'red' }));
      const { archive } = await stranger.engine.backups.start({ profile: 'shop', outDir: folder, encryption: { kind: 'recipients', recipients: [recipient] } }).result;
      decoys.push(archive);
      expect((await fixture.engine.library.list({ profile: 'shop' })).find((e) => e.path === archive)?.recognised).toBe(false);
      // The sidecar is gone: rebuilt from inside (this Lifeboat can decrypt it), still not tagged.
      await rm(`${archive}.json`);
      const verified = await fixture.engine.library.verify(archive, 'full').result;
      expect(verified.recognised).toBe(false);
      expect((await sidecarOf(archive)).libraryTag).toBeUndefined();
      expect((await fixture.engine.library.list({ profile: 'shop' })).find((e) => e.path === archive)?.recognised).toBe(false);
    } finally {
      await stranger.dispose();
    }
  }, 120_000);

  it('a genuine sidecar copied unchanged next to other bytes of the same name and size counts as a copy: it changes no decision', async () => {
    const { engine } = fixture;
    const before = (await engine.schedules.previewRetention('shop', POLICY)).decisions;
    const source = real[1]!;
    const copy = path.join(other, path.basename(source));
    await writeFile(copy, randomBytes((await stat(source)).size));
    await copyFile(`${source}.json`, `${copy}.json`);
    // A listing cannot tell these bytes from the real ones without hashing: it is recognised…
    expect((await engine.library.list({ profile: 'shop' })).find((e) => e.path === copy)?.recognised).toBe(true);
    // …but it only shares the decision of the backup it repeats.
    const after = byPath((await engine.schedules.previewRetention('shop', POLICY)).decisions);
    for (const decision of before) expect(after.get(decision.path)?.keep, decision.path).toBe(decision.keep);
    expect(after.get(copy)?.keep).toBe(byPath(before).get(source)!.keep);
    // Whichever of the two is listed first counts; the other says it is a copy.
    expect([after.get(copy)!, after.get(source)!].flatMap((d) => d.reasons)).toContainEqual(expect.stringMatching(/same sha256 as .*: a copy, decided with it/));
    await rm(copy);
    await rm(`${copy}.json`);
  });

  it('the library key is a private file in the data folder, with or without a keychain (the app and an unattended run share it)', async () => {
    expect(fixture.engine.secrets.storage).toBe('keychain');
    expect((await stat(path.join(fixture.dataDir, LIBRARY_KEY_FILE))).mode & 0o777).toBe(0o600);
  });
});

describe('without a persistent keychain (an unattended server) the library key is the same private file', () => {
  let session: EngineFixture;
  let archive: string;
  beforeAll(async () => {
    session = await createTestEngine({ secrets: new SessionSecretStore('unattended server') });
    await session.engine.profiles.add(clusterProfile(cluster, 'shop', { database: 'shop' }));
    archive = (await session.engine.backups.start({ profile: 'shop', outDir: path.join(work, 'session'), encryption: { kind: 'none' } }).result).archive;
  }, 120_000);
  afterAll(() => session?.dispose());
  const recognised = async () => (await session.engine.library.list({ folders: [path.join(work, 'session')] }))[0]!.recognised;

  it('is created with mode 0600, and used only while no one else may read or write it', async () => {
    const keyFile = path.join(session.dataDir, LIBRARY_KEY_FILE);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(await recognised()).toBe(true);
    await chmod(keyFile, 0o644);
    expect(await recognised()).toBe(false);
    await chmod(keyFile, 0o600);
    expect(await recognised()).toBe(true);
    // A key planted as a link (to a file others know) is not used either.
    const planted = path.join(work, 'planted-key');
    await writeFile(planted, `${(await readFile(keyFile, 'utf8')).trim()}\n`, { mode: 0o600 });
    await rm(keyFile);
    await symlink(planted, keyFile);
    expect(await recognised()).toBe(false);
    expect(archive).toBeTruthy();
  });
});
