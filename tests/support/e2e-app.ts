// The set-up every renderer E2E file shares: a PostgreSQL 18 cluster with its databases, a real
// engine in a throwaway data directory (on the real OS keychain when asked), backup and work
// folders, and the built renderer open in Chromium (e2e-bridge.ts). close() cancels jobs a failed
// test left running, closes the app (failing on any page problem) and removes everything.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Engine } from '../../main/engine/index.ts';
import type { AppSettings } from '../../main/ipc/contract.ts';
import type { Api } from '../../preload/api.ts';
import { openApp, type E2EApp, type OpenAppOptions } from './e2e-bridge.ts';
import { createTestEngine, type EngineFixture } from './engine-fixture.ts';
import { startCluster, stopAllClusters, type Cluster } from './pg-cluster.ts';

/** Lifeboat's key lives in the keychain under this account (main/engine/keys/key-service.ts). */
export const IDENTITY_ACCOUNT = 'age-identity';
/** The saved backup passphrase's keychain account. */
export const PASSPHRASE_ACCOUNT = 'backup-passphrase';

export interface E2EAppOptions {
  /** Databases to create on the PostgreSQL 18 cluster, each with the SQL that fills it. */
  databases: Record<string, string>;
  /**
   * The tests need the real OS keychain (`why` says what for). These accounts must be absent (in the
   * throwaway keyring of tests/support/run-tests.mjs a leftover is deleted) and are deleted after.
   */
  keychain?: { why: string; accounts: string[] };
  /** Make a backup folder (the default one in settings) and a work folder. Default true. */
  folders?: boolean;
  settings?: Partial<AppSettings>;
  /** Once the engine and folders exist, before the app opens: profiles, backups made by the engine… */
  prepare?: (e2e: E2EContext) => Promise<void>;
  /** After the app closed, before the engine goes (e.g. stopping a demo server). */
  cleanup?: (e2e: E2EContext) => Promise<void>;
  open?: Omit<OpenAppOptions, 'engine'>;
}

export interface E2EContext {
  /** The cluster's `postgres` password. */
  password: string;
  cluster: Cluster;
  fixture: EngineFixture;
  engine: Engine;
  /** Empty when `folders: false`. */
  backupDir: string;
  workDir: string;
  /** How a profile reaches the cluster: spread into engine.profiles.add with a name and database. */
  connection: { host: string; port: number; user: string; sslmode: 'disable'; password: string };
}

export interface E2EAppContext extends E2EContext {
  app: E2EApp;
  page: Page;
  /** Cancels jobs still running, closes the app (throws on page problems), removes the rest. */
  close(): Promise<void>;
}

const keyringSession = () => process.env.LIFEBOAT_KEYRING_SESSION === '1';

/** Starts it all; on a failure, what was started is removed again before the error is thrown. */
export async function startE2EApp(options: E2EAppOptions): Promise<E2EAppContext> {
  const password = `lb-e2e-${randomBytes(9).toString('hex')}`;
  const accounts = options.keychain?.accounts ?? [];
  let ctx: Partial<E2EAppContext> = { password, backupDir: '', workDir: '' };
  let engine: Engine | undefined;

  const stopRunningJobs = async (page: Page) => {
    const active = () => page.evaluate(() => (window as unknown as { api: Api }).api.jobs.active()).catch(() => null);
    const running = await active();
    for (const job of running?.ok ? running.value : []) await page.evaluate((id) => (window as unknown as { api: Api }).api.jobs.cancel(id), job.jobId);
    for (let waited = 0; waited < 20_000; waited += 250) {
      const left = await active();
      if (!left?.ok || left.value.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  const close = async () => {
    try {
      // A failed test may leave a job running: stop it before its server and keychain entries go.
      if (ctx.page && !ctx.page.isClosed()) await stopRunningJobs(ctx.page);
      await ctx.app?.close();
    } finally {
      if (ctx.fixture) await options.cleanup?.(ctx as E2EContext);
      // Leave the throwaway keyring as found; never touch a real one.
      if (keyringSession()) for (const account of accounts) await engine?.secrets.delete(account).catch(() => {});
      await ctx.fixture?.dispose();
      await stopAllClusters();
      if (ctx.backupDir) await rm(ctx.backupDir, { recursive: true, force: true });
      if (ctx.workDir) await rm(ctx.workDir, { recursive: true, force: true });
    }
  };

  try {
    const cluster = await startCluster(18, { password });
    ctx.cluster = cluster;
    ctx.connection = { host: '127.0.0.1', port: cluster.port, user: 'postgres', sslmode: 'disable', password };
    for (const [database, sql] of Object.entries(options.databases)) {
      await cluster.createDatabase(database);
      await cluster.query(sql, [], database);
    }

    const fixture = await createTestEngine();
    engine = fixture.engine;
    ctx.fixture = fixture;
    ctx.engine = engine;
    if (options.keychain) await claimKeychain(engine, options.keychain);

    if (options.folders !== false) {
      ctx.backupDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-backups-'));
      ctx.workDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-e2e-work-'));
    }
    const settings = { ...(ctx.backupDir ? { backupFolder: ctx.backupDir } : {}), ...options.settings };
    if (Object.keys(settings).length) engine.settings.update(settings);
    await options.prepare?.(ctx as E2EContext);

    ctx.app = await openApp({ ...options.open, engine });
    ctx.page = ctx.app.page;
    ctx.close = close;
    return ctx as E2EAppContext;
  } catch (error) {
    await close().catch(() => {});
    ctx = {};
    throw error;
  }
}

/**
 * In a test file: starts it all in beforeAll and closes it in afterAll. The returned object is
 * filled in by that beforeAll, so a later beforeAll (or a test) can read it.
 */
export function useE2EApp(options: E2EAppOptions): E2EAppContext {
  const e2e = {} as E2EAppContext;
  beforeAll(async () => {
    Object.assign(e2e, await startE2EApp(options));
  }, 240_000);
  afterAll(async () => {
    await e2e.close?.();
  });
  return e2e;
}

async function claimKeychain(engine: Engine, { why, accounts }: { why: string; accounts: string[] }): Promise<void> {
  if (engine.secrets.storage !== 'keychain') {
    throw new Error(
      `These tests need a real OS keychain (${why}), but the engine got "${engine.secrets.storage}": ${engine.secrets.status().message} Run them through \`node tests/support/run-tests.mjs --project e2e\`, which starts a throwaway keyring session.`,
    );
  }
  // The key is per keychain, not per data directory: start without one.
  for (const account of accounts) {
    if (!(await engine.secrets.get(account))) continue;
    if (!keyringSession()) throw new Error(`This keychain already holds Lifeboat's "${account}"; refusing to touch it. Run through tests/support/run-tests.mjs (throwaway keyring).`);
    await engine.secrets.delete(account);
  }
}

/** A button of the main navigation (the sidebar). */
export function navButton(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true });
}

export async function expectVisible(locator: Locator, timeout = 15_000): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout });
}
