// Exercises the throwaway-cluster helper itself, for every PostgreSQL major we test against.
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import type { ClientConfig } from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { availableMajors, startCluster, stopAllClusters } from '../support/pg-cluster.ts';
import type { Cluster } from '../support/pg-cluster.ts';

const majors = availableMajors();

afterAll(async () => {
  await stopAllClusters();
});

async function connectError(config: ClientConfig): Promise<Error & { code?: string }> {
  const client = new pg.Client(config);
  try {
    await client.connect();
  } catch (err) {
    return err as Error & { code?: string };
  } finally {
    await client.end().catch(() => {});
  }
  throw new Error(`connection unexpectedly succeeded: ${JSON.stringify({ ...config, password: '***' })}`);
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

function baseConfig(c: Cluster): ClientConfig {
  return { host: c.host, port: c.port, user: c.user, password: c.password, database: 'postgres', ssl: false };
}

test('binaries for every supported major are installed', () => {
  // 15 is the Debian package, the rest are npm aliases; a missing one would silently shrink coverage.
  expect(majors).toEqual([12, 13, 14, 15, 16, 17, 18]);
});

test('unknown majors are rejected with a clear error', async () => {
  await expect(startCluster(11)).rejects.toThrow(/not supported/);
});

describe.each(majors)('PostgreSQL %i', (major) => {
  test('starts, authenticates with a password only, and is fully removed on stop', { timeout: 30_000 }, async () => {
    const t0 = performance.now();
    const c = await startCluster(major);
    const startMs = Math.round(performance.now() - t0);
    console.log(`PostgreSQL ${major}: cluster started in ${startMs} ms on port ${c.port}`);

    expect(c.url()).toBe(`postgres://postgres@127.0.0.1:${c.port}/postgres`);
    expect(c.url()).not.toContain(c.password);
    expect(Math.floor((await c.serverVersionNum()) / 10000)).toBe(major);

    const err = await connectError({ ...baseConfig(c), password: `${c.password}-wrong` });
    expect(err.code).toBe('28P01');

    await c.createRole('app_user', "it's \\secret");
    await c.createDatabase('app db');
    await c.query('CREATE TABLE t (x int)', [], 'app db');
    await c.query('INSERT INTO t VALUES ($1)', [42], 'app db');
    const client = new pg.Client({ ...baseConfig(c), user: 'app_user', password: "it's \\secret", database: 'app db' });
    await client.connect();
    await client.end();
    expect(await c.query<{ x: number }>('SELECT x FROM t', [], 'app db')).toEqual([{ x: 42 }]);

    await c.stop();
    await c.stop(); // idempotent
    expect(existsSync(c.dir)).toBe(false);
    expect(await portAccepts(c.port)).toBe(false);
  });
});

// Oldest and newest: their server-side OpenSSL/error wording differ the most.
const sslMajors = [...new Set([majors[0], majors.at(-1)])].filter((m) => m !== undefined);

test.each(sslMajors)("ssl 'required' rejects plaintext and accepts TLS (PostgreSQL %i)", { timeout: 30_000 }, async (major) => {
  const c = await startCluster(major, { ssl: 'required' });
  try {
    expect(c.caFile).toBeTruthy();

    const err = await connectError(baseConfig(c));
    expect(err.message).toMatch(/no encryption|SSL off|pg_hba/);

    const loose = new pg.Client({ ...baseConfig(c), ssl: { rejectUnauthorized: false } });
    await loose.connect();
    const rows = (await loose.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows;
    await loose.end();
    expect(rows).toEqual([{ ssl: true }]);

    // caFile is usable for full verification (cert carries an IP SAN for 127.0.0.1).
    const strict = new pg.Client({ ...baseConfig(c), ssl: { ca: readFileSync(c.caFile!, 'utf8') } });
    await strict.connect();
    await strict.end();

    expect(await c.serverVersionNum()).toBeGreaterThan(0); // helper's own query() goes over TLS
  } finally {
    await c.stop();
  }
});
