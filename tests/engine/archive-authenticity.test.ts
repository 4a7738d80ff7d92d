// Lifeboat recognises the archives its own key holder made, before anything runs: anyone with the
// public key can make an archive that opens, but only the holder of the identity (or the passphrase)
// can make one whose checksums.json carries a tag that verifies. Forgeries here are made the way an
// outsider would: the real `age` CLI encrypts to the public key, a tar writer of the tests' own
// builds the plaintext (tests/support/archive-craft.ts).
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateArchive, openArchivePlaintext, walkArchive } from '../../main/engine/archive/archive-reader.ts';
import { generateAgeKeyPair, parseIdentityFile, recipientOf } from '../../main/engine/crypto/age-keys.ts';
import { bech32Decode } from '../../main/engine/crypto/bech32.ts';
import type { EncryptionChoice } from '../../main/engine/keys/key-service.ts';
import { archivePlaintext, craftArchive, editJsonEntry, readTarEntries, type TarEntry } from '../support/archive-craft.ts';
import { createIsolatedKeychainEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';
import { SIDECAR_SUFFIX } from '../../main/engine/archive/archive-format.ts';
import { inspectForRestore } from '../../main/engine/restore/own-archive-check.ts';
import { fileIdentity } from '../../main/engine/restore/restore-source.ts';

const PASSPHRASE = 'a long and secret passphrase';
const OTHER_PASSPHRASE = 'somebody else entirely';
const colleague = generateAgeKeyPair();
const stranger = generateAgeKeyPair();

let fixture: EngineFixture;
let cluster: Cluster;
let work: string;
/** Lifeboat's own identity, from the real keychain (exported as its recovery-key file). */
let own: { identity: string; recipient: string; file: string };
const archives = { own: '', shared: '', stranger: '', passphrase: '', otherPassphrase: '' };

async function backup(folder: string, encryption: EncryptionChoice): Promise<string> {
  const result = await fixture.engine.backups.start({ profile: 'pg', database: 'shop', outDir: path.join(work, folder), encryption }).result;
  return result.archive;
}

/** The own archive taken apart, edited and encrypted again to Lifeboat's public key by the real age CLI: what an outsider can do. */
async function forge(name: string, edit: (entries: TarEntry[]) => TarEntry[], from = archives.own, identityFile = own.file): Promise<string> {
  const out = path.join(work, `${name}.lifeboat`);
  await craftArchive({ from, out, identityFile, recipient: own.recipient, edit });
  return out;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
/** Only the keychain's keys: the ones whose tags make an archive this Lifeboat's own. */
const ownKeys = () => fixture.engine.keys.ownKeys();

/** Flips one byte of a member and, when asked, updates checksums.json's sum for it (keeping its tag). */
function flip(member: 'manifest.json' | 'database.dump.0001', recompute: boolean) {
  return (entries: TarEntry[]): TarEntry[] => {
    const changed = entries.map((entry) => {
      if (entry.name !== member) return entry;
      const data = Buffer.from(entry.data);
      const at = member === 'manifest.json' ? data.indexOf('"shop"') + 1 : data.length - 10;
      data[at] = data[at] === 0x78 ? 0x79 : 0x78;
      return { name: entry.name, data };
    });
    if (!recompute) return changed;
    const data = changed.find((e) => e.name === member)!.data;
    return editJsonEntry(changed, 'checksums.json', (sums) => {
      if (member === 'manifest.json') sums.manifest = { sha256: sha256(data), bytes: data.length };
      else sums.dump.sha256 = sha256(data);
    });
  };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-authenticity-'));
  fixture = await createIsolatedKeychainEngine();
  cluster = await startCluster(18);
  await cluster.createDatabase('shop');
  await cluster.query(SAMPLE_SCHEMA_SQL, [], 'shop');
  await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { color: 'red' }));
  archives.own = await backup('own', { kind: 'settings' }); // Settings' default: Lifeboat's own key, created now in the keychain
  const keyFile = path.join(work, 'recovery-key.txt');
  await fixture.engine.keys.exportRecoveryKey(keyFile);
  const [identity] = parseIdentityFile(await readFile(keyFile, 'utf8'), keyFile);
  own = { identity: identity!, recipient: recipientOf(identity!), file: keyFile };
  archives.shared = await backup('shared', { kind: 'recipients', recipients: [colleague.recipient, own.recipient] });
  archives.stranger = await backup('stranger', { kind: 'recipients', recipients: [stranger.recipient] });
  archives.passphrase = await backup('passphrase', { kind: 'passphrase', passphrase: PASSPHRASE });
  archives.otherPassphrase = await backup('other-passphrase', { kind: 'passphrase', passphrase: OTHER_PASSPHRASE });
}, 120_000);
afterAll(async () => {
  await fixture?.dispose();
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the engine's own archives", () => {
  it("a backup to Lifeboat's own key is 'own-key'; its tag names the public key and never holds the secret", async () => {
    expect(await authenticateArchive(archives.own, await ownKeys())).toBe('own-key');
    const sums = JSON.parse(readTarEntries(await archivePlaintext(archives.own, own.file)).find((e) => e.name === 'checksums.json')!.data.toString('utf8'));
    expect(sums.authenticity).toEqual({ version: 1, kind: 'x25519', recipient: own.recipient, mac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const secret = bech32Decode(own.identity).bytes;
    for (const text of [own.identity, own.identity.toLowerCase(), secret.toString('hex'), secret.toString('base64').replace(/=+$/, '')]) expect(JSON.stringify(sums)).not.toContain(text);
  });

  it('an archive to Lifeboat\'s key and a colleague\'s is own only with Lifeboat\'s keys: the colleague opens it but cannot vouch for it', async () => {
    expect(await authenticateArchive(archives.shared, await ownKeys())).toBe('own-key');
    expect(await authenticateArchive(archives.shared, { identities: [colleague.identity] })).toBe('mismatch');
    // Opened with the colleague's key, judged by Lifeboat's own.
    expect(await authenticateArchive(archives.shared, { identities: [colleague.identity] }, { trusted: await ownKeys() })).toBe('own-key');
  });

  it("an archive to someone else's key only carries no tag: 'none'", async () => {
    expect(await authenticateArchive(archives.stranger, { identities: [stranger.identity] })).toBe('none');
  });

  it("a passphrase archive is 'own-passphrase' with that passphrase, and one made with another passphrase is not", async () => {
    expect(await authenticateArchive(archives.passphrase, { passphrases: [PASSPHRASE] })).toBe('own-passphrase');
    // Someone who knows another passphrase re-encrypts their archive to Lifeboat's public key.
    const other = path.join(work, 'other-passphrase-as-key.lifeboat');
    const plaintext = await archivePlaintextWithPassphrase(archives.otherPassphrase);
    await craftArchive({ from: await writeTemp('other-plain.tar', plaintext), out: other, recipient: own.recipient });
    expect(await authenticateArchive(other, { identities: [own.identity], passphrases: [PASSPHRASE] })).toBe('mismatch');
    expect(await authenticateArchive(other, { identities: [own.identity], passphrases: [OTHER_PASSPHRASE] })).toBe('own-passphrase');
  });
});

describe('made by someone holding only the public key', () => {
  it("the same content re-encrypted is still the key holder's content: 'own-key' (the tag is about what restore runs, not the age layer)", async () => {
    expect(await authenticateArchive(await forge('re-encrypted', (entries) => entries), await ownKeys())).toBe('own-key');
  });

  it("without its tag: 'none', and read as before", async () => {
    const file = await forge('untagged', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => delete sums.authenticity));
    expect(await authenticateArchive(file, await ownKeys())).toBe('none');
  });

  it("with a forged tag (a made-up MAC, or one keyed from the public key): 'mismatch'", async () => {
    const madeUp = await forge('made-up-tag', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => (sums.authenticity.mac = 'ab'.repeat(32))));
    expect(await authenticateArchive(madeUp, await ownKeys())).toBe('mismatch');
    const otherKey = await forge('stranger-recipient-tag', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => (sums.authenticity.recipient = stranger.recipient)));
    expect(await authenticateArchive(otherKey, { identities: [own.identity, stranger.identity] })).toBe('mismatch');
    const malformed = await forge('malformed-tag', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => (sums.authenticity = 'trust me')));
    expect(await authenticateArchive(malformed, await ownKeys())).toBe('mismatch');
  });

  it("a dump or manifest byte changed, its sum updated and the old tag kept: 'mismatch'", async () => {
    expect(await authenticateArchive(await forge('dump-resummed', flip('database.dump.0001', true)), await ownKeys())).toBe('mismatch');
    expect(await authenticateArchive(await forge('manifest-resummed', flip('manifest.json', true)), await ownKeys())).toBe('mismatch');
    const rows = await forge('row-counts', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => (sums.rowCounts.tables[0].rows += 1)));
    expect(await authenticateArchive(rows, await ownKeys())).toBe('mismatch');
  });

  it('a dump or manifest byte changed under the old checksums and tag: damaged, no verdict at all', async () => {
    await expect(authenticateArchive(await forge('dump-flipped', flip('database.dump.0001', false)), await ownKeys())).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED', message: expect.stringContaining('dump does not match its checksum') });
    await expect(authenticateArchive(await forge('manifest-flipped', flip('manifest.json', false)), await ownKeys())).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED', message: expect.stringContaining('manifest.json does not match') });
  });

  it("a tag without manifest.json's sum does not count (the manifest would not be covered): 'mismatch'", async () => {
    const file = await forge('no-manifest-sum', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => delete sums.manifest));
    expect(await authenticateArchive(file, await ownKeys())).toBe('mismatch');
  });

  it("a passphrase tag asking for an enormous scrypt is not run: 'mismatch' at once", async () => {
    const file = await forge('huge-scrypt', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => (sums.authenticity = { version: 1, kind: 'passphrase', salt: Buffer.alloc(16, 7).toString('base64'), logN: 30, mac: 'cd'.repeat(32) })));
    const started = performance.now();
    expect(await authenticateArchive(file, { identities: [own.identity], passphrases: [PASSPHRASE] })).toBe('mismatch');
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('archives from before authenticity tags', () => {
  it("read as before (checksums.json without a tag or a manifest sum) and are 'none'", async () => {
    const file = await forge('old-format', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => {
      delete sums.authenticity;
      delete sums.manifest;
    }));
    const walk = await walkArchive(file, await ownKeys());
    expect(walk.authenticity).toBe('none');
    expect(walk.manifest.source.database).toBe('shop');
  });
});

describe('the restore preflight shows it', () => {
  it("own archive: inspection says 'own-key' and the identity item says so", async () => {
    const preflight = await fixture.engine.restores.preflight({ profile: 'pg', file: archives.own, mode: 'new', database: 'auth_own' });
    expect(preflight.inspection.lifeboat?.authenticity).toBe('own-key');
    expect(preflight.items.find((i) => i.id === 'identity')).toMatchObject({ status: 'ok', detail: expect.stringContaining("Made by this Lifeboat's key.") });
  });

  it("a stranger's archive and a forged tag: restored as a stranger's file", async () => {
    const none = await fixture.engine.restores.preflight({ profile: 'pg', file: archives.stranger, mode: 'new', database: 'auth_none', keys: { identities: [stranger.identity] } });
    expect(none.inspection.lifeboat?.authenticity).toBe('none');
    expect(none.items.find((i) => i.id === 'identity')?.detail).toContain("Not made by this Lifeboat: restored as a stranger's file");
    const forged = await forge('forged-for-preflight', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => (sums.authenticity.mac = '00'.repeat(32))));
    const mismatch = await fixture.engine.restores.preflight({ profile: 'pg', file: forged, mode: 'new', database: 'auth_forged' });
    expect(mismatch.inspection.lifeboat?.authenticity).toBe('mismatch');
    expect(mismatch.items.find((i) => i.id === 'identity')).toMatchObject({ status: 'info', detail: expect.stringContaining('its authenticity tag does not verify') });
  });
});

describe("a restore knows its own file by the sidecar's file tag, without decrypting it twice", () => {
  const pgRestoreFor = (major: number | null) => fixture.engine.tools.choose('pg_restore', major);
  const check = async (file: string) => inspectForRestore(file, await ownKeys(), pgRestoreFor, await ownKeys());
  const sidecarOf = async (file: string) => JSON.parse(await readFile(`${file}${SIDECAR_SUFFIX}`, 'utf8')) as { sha256: string; fileTag?: { recipient: string; mac: string } };
  /** Large enough that its dump goes on well past the table of contents: a small archive is read whole anyway, tag or not. */
  let bulk: string;

  beforeAll(async () => {
    await cluster.createDatabase('bulk');
    await cluster.query("CREATE TABLE rows AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS t FROM generate_series(1, 300000) g", [], 'bulk');
    bulk = (await fixture.engine.backups.start({ profile: 'pg', database: 'bulk', outDir: path.join(work, 'bulk'), encryption: { kind: 'settings' }, exactRowCounts: true }).result).archive;
  }, 60_000);

  it('archives to its own key carry one naming that key; passphrase and strangers\' archives none', async () => {
    expect((await sidecarOf(archives.own)).fileTag).toMatchObject({ version: 1, kind: 'x25519', recipient: own.recipient, mac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await sidecarOf(archives.shared)).fileTag?.recipient).toBe(own.recipient);
    expect((await sidecarOf(archives.passphrase)).fileTag).toBeUndefined();
    expect((await sidecarOf(archives.stranger)).fileTag).toBeUndefined();
  });

  it("own archive: the restore's check reads only up to the table of contents, knows it as 'own-key' and restores it", async () => {
    const inspection = await check(bulk);
    expect(inspection).toMatchObject({ quick: true, problem: null, lifeboat: { authenticity: 'own-key', checksums: null } });
    // The same file with a sidecar that has no file tag: read whole first, as before.
    const untagged = path.join(work, 'bulk-untagged.lifeboat');
    await copyFile(bulk, untagged);
    const { fileTag: _tag, ...withoutTag } = JSON.parse(await readFile(`${bulk}${SIDECAR_SUFFIX}`, 'utf8')) as Record<string, unknown>;
    await writeFile(`${untagged}${SIDECAR_SUFFIX}`, JSON.stringify({ ...withoutTag, archive: path.basename(untagged) }));
    expect(await check(untagged)).toMatchObject({ quick: false, problem: null, lifeboat: { authenticity: 'own-key' } });
    // The same file and tag, but writable by others (who could change its bytes without a new change time): read whole.
    const shared = path.join(work, 'bulk-shared.lifeboat');
    await copyFile(bulk, shared);
    await writeFile(`${shared}${SIDECAR_SUFFIX}`, (await readFile(`${bulk}${SIDECAR_SUFFIX}`, 'utf8')).replace(path.basename(bulk), path.basename(shared)));
    await chmod(shared, 0o666);
    expect(await check(shared)).toMatchObject({ quick: false, problem: null, lifeboat: { authenticity: 'own-key' } });
    await chmod(shared, 0o600);
    expect(await check(shared)).toMatchObject({ quick: true, lifeboat: { authenticity: 'own-key' } });
    const result = await fixture.engine.restores.start({ profile: 'pg', file: bulk, mode: 'new', database: 'auth_tagged' }).result;
    expect(result.verification.checked).toHaveLength(1);
    expect(result.verification.mismatches).toEqual([]);
    expect(result.leastPrivilege).toBeNull(); // run as its own archive, not as a stranger's
    // Trusted and whole: pg_restore sends it to the server itself, no SQL printed for psql.
    expect(result.runner).toBe('pg_restore');
    expect(await cluster.query<{ n: string }>('SELECT count(*) AS n FROM rows', [], 'auth_tagged')).toEqual([{ n: '300000' }]);
    await cluster.query('DROP DATABASE auth_tagged');
  });

  it("the own sidecar next to an outsider's file, or a tag with a made-up MAC: read whole, as a stranger's file", async () => {
    const outsider = await forge('outsider-with-own-sidecar', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => delete sums.authenticity), bulk);
    const ownSidecar = await readFile(`${bulk}${SIDECAR_SUFFIX}`, 'utf8');
    await writeFile(`${outsider}${SIDECAR_SUFFIX}`, ownSidecar);
    expect(await check(outsider)).toMatchObject({ quick: false, lifeboat: { authenticity: 'none' } });
    const madeUp = JSON.parse(ownSidecar) as { sha256: string; bytes: number; fileTag: { mac: string } };
    madeUp.sha256 = sha256(await readFile(outsider));
    madeUp.bytes = (await readFile(outsider)).length;
    madeUp.fileTag.mac = '00'.repeat(32);
    await writeFile(`${outsider}${SIDECAR_SUFFIX}`, JSON.stringify(madeUp));
    expect(await check(outsider)).toMatchObject({ quick: false, lifeboat: { authenticity: 'none' } });
    // A tag that is not one Lifeboat writes makes the sidecar unusable, and the file is read whole.
    // A tag that is not one this Lifeboat writes is left out of the sidecar (which still counts), and the file is read whole.
    await writeFile(`${outsider}${SIDECAR_SUFFIX}`, JSON.stringify({ ...madeUp, fileTag: { ...madeUp.fileTag, kind: 'passphrase' } }));
    const unknownKind = await check(outsider);
    expect(unknownKind).toMatchObject({ quick: false, lifeboat: { authenticity: 'none', sidecar: { sha256: madeUp.sha256 } } });
    expect(unknownKind.lifeboat?.sidecar?.fileTag).toBeUndefined();
  });

  it('the own file changed in place (one byte, same size): read whole, refused as damaged, nothing created', async () => {
    const copy = path.join(work, 'own-changed.lifeboat');
    const bytes = await readFile(bulk);
    bytes[bytes.length - 100]! ^= 0x01;
    await writeFile(copy, bytes);
    await writeFile(`${copy}${SIDECAR_SUFFIX}`, (await readFile(`${bulk}${SIDECAR_SUFFIX}`, 'utf8')).replace(path.basename(bulk), path.basename(copy)));
    const inspection = await check(copy);
    expect(inspection.quick).toBe(false);
    expect(inspection.problem?.code).toBe('ARCHIVE_DAMAGED');
    await expect(fixture.engine.restores.start({ profile: 'pg', file: copy, mode: 'new', database: 'auth_changed' }).result).rejects.toMatchObject({ code: 'PREFLIGHT_BLOCKED' });
    expect((await cluster.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname = 'auth_changed'")).length).toBe(0);
    // Had the damage been found only while restoring straight into pg_restore (the check vouching for
    // the bytes as they were before), the walk's verdict ends it: pg_restore never gets the last chunk.
    const vouched = { ...(await fixture.engine.restores.inspect(bulk)), path: copy, fileIdentity: await fileIdentity(copy) };
    await expect(fixture.engine.restores.start({ profile: 'pg', file: copy, mode: 'new', database: 'auth_changed', inspection: vouched }).result).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED' });
    expect((await cluster.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname = 'auth_changed'")).length).toBe(0);
    // Bytes that differ from the ones the check vouched for (rewritten in place without a new change
    // time): found once read, before pg_restore gets the last chunk.
    const otherBytes = { ...(await check(bulk)), fileSha256: '0'.repeat(64) };
    await expect(fixture.engine.restores.start({ profile: 'pg', file: bulk, mode: 'new', database: 'auth_changed', inspection: otherBytes }).result).rejects.toMatchObject({ code: 'PREFLIGHT_BLOCKED', message: expect.stringMatching(/changed while it was restored/) });
    expect((await cluster.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname = 'auth_changed'")).length).toBe(0);
  });

  it("a stranger's archive, even whole and to this key, still runs through the guard and psql as a temporary role", async () => {
    const outsider = await forge('outsider-restored', (entries) => editJsonEntry(entries, 'checksums.json', (sums) => delete sums.authenticity), bulk);
    const result = await fixture.engine.restores.start({ profile: 'pg', file: outsider, mode: 'new', database: 'auth_outsider' }).result;
    expect(result).toMatchObject({ runner: 'psql', leastPrivilege: expect.anything() });
    expect(await cluster.query<{ n: string }>('SELECT count(*) AS n FROM rows', [], 'auth_outsider')).toEqual([{ n: '300000' }]);
    await cluster.query('DROP DATABASE auth_outsider');
  });
});

/** The plaintext of a passphrase archive, through the engine's own reader (the age CLI reads passphrases only from a terminal). */
async function archivePlaintextWithPassphrase(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await openArchivePlaintext(file, { passphrases: [OTHER_PASSPHRASE] })) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function writeTemp(name: string, data: Buffer): Promise<string> {
  const file = path.join(work, name);
  await writeFile(file, data);
  return file;
}
