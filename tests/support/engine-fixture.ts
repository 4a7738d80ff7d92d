import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createEngine, type Engine, type EngineOptions } from '../../main/engine/index.ts';
import { openSecretStore } from '../../main/engine/secrets/keychain-store.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
/** Node 24 from the `node` devDependency: the CLI is run with it, as `npx lifeboat` does. */
export const NODE_BIN_DIR = path.join(REPO_ROOT, 'node_modules/.bin');

export interface EngineFixture {
  engine: Engine;
  dataDir: string;
  dispose(): Promise<void>;
}

/** A real engine in a throwaway data directory; removes its profiles (and keychain entries) after. */
export async function createTestEngine(options: EngineOptions = {}): Promise<EngineFixture> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-home-'));
  const engine = await createEngine({ dataDir, ...options });
  if (process.env.LIFEBOAT_EXPECT_KEYCHAIN === '1' && !options.secrets && engine.secrets.storage !== 'keychain') {
    throw new Error(`The test keychain session is not working: ${engine.secrets.status().message}`);
  }
  return {
    engine,
    dataDir,
    async dispose() {
      for (const profile of await engine.profiles.list()) await engine.profiles.remove(profile.id);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every file under a folder, for "the secret is in no file" checks. */
export async function readAllFiles(dir: string): Promise<{ file: string; content: Buffer }[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries.filter((entry) => entry.isFile()).map(async (entry) => {
      const file = path.join(entry.parentPath, entry.name);
      return { file, content: await readFile(file) };
    }),
  );
}

/**
 * A real engine on the real (test) keychain under a service of its own: its own age key does not
 * collide with Lifeboat's, which CLI tests running at the same time expect to create themselves.
 */
export async function createIsolatedKeychainEngine(options: Omit<EngineOptions, 'secrets'> = {}): Promise<EngineFixture> {
  const secrets = await openSecretStore(`Lifeboat test ${randomBytes(6).toString('hex')}`);
  const fixture = await createTestEngine({ ...options, secrets });
  if (process.env.LIFEBOAT_EXPECT_KEYCHAIN === '1' && secrets.storage !== 'keychain') throw new Error(`The test keychain session is not working: ${secrets.status().message}`);
  return {
    ...fixture,
    async dispose() {
      await fixture.dispose();
      for (const account of ['age-identity', 'backup-passphrase']) await secrets.delete(account).catch(() => {});
    },
  };
}

