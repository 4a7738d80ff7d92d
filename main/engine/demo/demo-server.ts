// "Try Lifeboat with a demo database": a persistent embedded PostgreSQL in the data directory with
// the demo shop, saved as a profile, started with the app and stopped when it quits.
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import { clusterHome, initCluster, startCluster, type LocalCluster } from '../scratch/embedded-postgres.ts';
import type { ProfileSummary } from '../types.ts';
import { DEMO_CANARIES, DEMO_DATABASE, DEMO_SCHEMA_SQL } from './sample-database.ts';
import type { DemoStatus } from '../model/demo.ts';
import { loadPg } from '../db/pg-connect.ts';
export type { DemoStatus } from '../model/demo.ts';

export const DEMO_PROFILE = 'Demo shop (local)';

export class DemoServer {
  #dir: string;
  readonly #profiles: ProfileService;
  #cluster: LocalCluster | null = null;
  #starting: Promise<ProfileSummary> | null = null;

  constructor(deps: { dataDir: string; profiles: ProfileService }) {
    this.#dir = path.join(deps.dataDir, 'demo-server');
    this.#profiles = deps.profiles;
  }

  async status(): Promise<DemoStatus> {
    this.#dir = await clusterHome(this.#dir, 'demo-server');
    const exists = await access(path.join(this.#dir, 'data', 'PG_VERSION')).then(() => true, () => false);
    const profile = await this.#profiles.get(DEMO_PROFILE).catch(() => null);
    return { exists, running: this.#cluster !== null, profile };
  }

  /** Creates the demo (first time), starts it, and points the demo profile at it. */
  start(): Promise<ProfileSummary> {
    this.#starting ??= this.#start().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #start(): Promise<ProfileSummary> {
    const fresh = !(await this.status()).exists;
    if (fresh) {
      await rm(this.#dir, { recursive: true, force: true });
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await chmod(this.#dir, 0o700);
      await initCluster(this.#dir, randomBytes(24).toString('base64url'));
    }
    if (!this.#cluster) {
      try {
        this.#cluster = await startCluster(this.#dir);
      } catch (error) {
        throw new LifeboatError('INTERNAL', `The demo database could not start: ${(error as Error).message}`, 'Remove the demo and create it again.', { cause: error });
      }
    }
    // A new password at every start, set over the private socket (which trusts only this user).
    const password = randomBytes(24).toString('base64url');
    const { Client } = await loadPg();
    const admin = new Client({ host: this.#dir, port: this.#cluster.port, user: 'lifeboat', database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`ALTER ROLE lifeboat PASSWORD '${password}'`);
      if (fresh) {
        await admin.query(`CREATE DATABASE ${DEMO_DATABASE}`);
        const db = new Client({ host: this.#dir, port: this.#cluster.port, user: 'lifeboat', database: DEMO_DATABASE });
        await db.connect();
        try {
          await db.query(DEMO_SCHEMA_SQL);
        } finally {
          await db.end();
        }
      }
    } finally {
      await admin.end();
    }
    const fields = { name: DEMO_PROFILE, host: '127.0.0.1', port: this.#cluster.port, database: DEMO_DATABASE, user: 'lifeboat', sslmode: 'disable' as const, color: 'teal' as const, canaryQueries: DEMO_CANARIES, password };
    const existing = await this.#profiles.get(DEMO_PROFILE).catch(() => null);
    return existing ? this.#profiles.update(existing.id, fields) : this.#profiles.add(fields);
  }

  async stop(): Promise<void> {
    await this.#cluster?.stop();
    this.#cluster = null;
  }

  /** Stops it and deletes the demo server, its data and its profile (backups of it stay where they are). */
  async remove(): Promise<void> {
    await this.status();
    await this.stop();
    await rm(this.#dir, { recursive: true, force: true });
    const profile = await this.#profiles.get(DEMO_PROFILE).catch(() => null);
    if (profile) await this.#profiles.remove(profile.id);
  }
}
