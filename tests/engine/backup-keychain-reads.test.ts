// A backup asks the keychain for the profile's password once: its name in the activity log and the
// CLI's "is this a whole-server profile?" come from the stored profile. Each keychain read is a
// D-Bus round trip and the keyring daemon's work, on the way to the backup's first byte.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { availableMajors, clusterProfile, startCluster, stopAllClusters, type Cluster } from '../support/pg-cluster.ts';

/** The session store, counting reads per account. */
class CountingStore extends SessionSecretStore {
  readonly reads = new Map<string, number>();
  override async get(account: string): Promise<string | null> {
    this.reads.set(account, (this.reads.get(account) ?? 0) + 1);
    return super.get(account);
  }
}

const secrets = new CountingStore('counting reads in a test');
let fixture: EngineFixture;
let cluster: Cluster;
let work: string;

beforeAll(async () => {
  fixture = await createTestEngine({ secrets });
  cluster = await startCluster(availableMajors().at(-1)!);
  work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-keychain-reads-'));
});
afterAll(async () => {
  await fixture.dispose();
  await rm(work, { recursive: true, force: true });
  await stopAllClusters();
});

it('reads the profile\'s password once per backup, and its name and route without the keychain', async () => {
  const { engine } = fixture;
  const profile = await engine.profiles.add(clusterProfile(cluster, 'counted'));
  const account = `profile:${profile.id}`;
  secrets.reads.clear();

  const key = generateAgeKeyPair();
  const result = await engine.backups.start({ profile: 'counted', outDir: work, encryption: { kind: 'recipients', recipients: [key.recipient] } }).result;
  await engine.activity.settled();

  expect(secrets.reads.get(account)).toBe(1);
  const [entry] = await engine.activity.list({ what: 'backup' });
  expect(entry).toMatchObject({ profile: 'counted', archive: result.archive });
  expect(engine.profiles.stored('counted')).toMatchObject({ id: profile.id, name: 'counted', host: cluster.host });
  expect(() => engine.profiles.stored('nobody')).toThrow(/There is no profile named "nobody"/);
});
