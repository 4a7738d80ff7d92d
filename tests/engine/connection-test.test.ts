// "Test connection" against real servers of every supported major, and each failure it must explain.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionReport, ProfileInput } from '../../main/engine/types.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { availableMajors, startCluster, stopAllClusters, type Cluster } from '../support/pg-cluster.ts';

const run = promisify(execFile);

function profileFor(cluster: Cluster, over: Partial<ProfileInput> = {}): ProfileInput {
  return { name: `pg${cluster.major}`, host: cluster.host, port: cluster.port, database: 'postgres', user: cluster.user, sslmode: 'prefer', color: 'green', password: cluster.password, ...over };
}

let fixture: EngineFixture;
beforeAll(async () => {
  fixture = await createTestEngine();
});
afterAll(async () => {
  await fixture.dispose();
  await stopAllClusters();
});

describe.each(availableMajors())('PostgreSQL %i', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(major);
  });
  afterAll(() => cluster.stop());

  it('reports server version, size and a pg_dump/pg_restore that really dumps this server', async () => {
    const profile = await fixture.engine.profiles.add(profileFor(cluster));
    expect(profile.passwordStorage).toBe(fixture.engine.secrets.storage);
    const result = await fixture.engine.profiles.test(profile.id);
    if (!result.ok) throw new Error(result.error.message);
    const report: ConnectionReport = result.report;
    expect(report.serverMajor).toBe(major);
    expect(report.serverVersion.startsWith(`${major}.`)).toBe(true);
    expect(report.databaseSizeBytes).toBeGreaterThan(1_000_000);
    expect(report.tools.pg_dump).toMatchObject({ major: 18, source: 'bundled' });
    expect(report.tools.pg_restore.major).toBeGreaterThanOrEqual(major);

    // The chosen pg_dump works against this server (password through a 0600 passfile, not argv).
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-pass-'));
    const passfile = path.join(dir, 'pgpass');
    await writeFile(passfile, `*:*:*:*:${cluster.password}\n`, { mode: 0o600 });
    try {
      const { stdout } = await run(report.tools.pg_dump.path, ['--schema-only', '-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user, 'postgres'], { env: { PATH: process.env.PATH, PGPASSFILE: passfile } });
      expect(stdout).toContain('PostgreSQL database dump');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await fixture.engine.profiles.remove(profile.id);
  });

  it('tells a wrong password apart from a missing one', async () => {
    const wrong = await fixture.engine.profiles.add(profileFor(cluster, { name: `wrong${major}`, password: 'not-the-password' }));
    const missing = await fixture.engine.profiles.add(profileFor(cluster, { name: `none${major}`, password: undefined }));
    const wrongResult = await fixture.engine.profiles.test(wrong.id);
    const missingResult = await fixture.engine.profiles.test(missing.id);
    expect(wrongResult).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
    expect(missingResult).toMatchObject({ ok: false, error: { code: 'PASSWORD_MISSING' } });
    if (!wrongResult.ok) expect(wrongResult.error.message).toContain(`127.0.0.1:${cluster.port}`);
    await fixture.engine.profiles.remove(wrong.id);
    await fixture.engine.profiles.remove(missing.id);
  });
  it('explains a server without SSL under sslmode require, and a role that may not log in', async () => {
    const noSsl = await fixture.engine.profiles.add(profileFor(cluster, { name: `nossl${major}`, sslmode: 'require' }));
    const noSslResult = await fixture.engine.profiles.test(noSsl.id);
    await fixture.engine.profiles.remove(noSsl.id);
    expect(noSslResult).toMatchObject({ ok: false, error: { code: 'SSL_UNSUPPORTED', message: expect.stringContaining('does not support SSL') } });

    await cluster.createRole('auditor', 'Auditor-pw-1');
    await cluster.query('ALTER ROLE auditor NOLOGIN');
    const nologin = await fixture.engine.profiles.add(profileFor(cluster, { name: `nologin${major}`, user: 'auditor', password: 'Auditor-pw-1' }));
    const nologinResult = await fixture.engine.profiles.test(nologin.id);
    await fixture.engine.profiles.remove(nologin.id);
    expect(nologinResult).toMatchObject({ ok: false, error: { code: 'ACCESS_DENIED', message: expect.stringContaining('"auditor"') } });
  });
});

describe('failures the user must be able to act on', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(18, { ssl: 'required' });
  });
  afterAll(() => cluster.stop());

  async function expectError(over: Partial<ProfileInput>, code: string, pattern: RegExp) {
    const profile = await fixture.engine.profiles.add(profileFor(cluster, { name: `case-${code}-${Math.random()}`, ...over }));
    const result = await fixture.engine.profiles.test(profile.id);
    await fixture.engine.profiles.remove(profile.id);
    expect(result).toMatchObject({ ok: false, error: { code } });
    if (!result.ok) {
      expect(result.error.message).toMatch(pattern);
      expect(result.error.fix).toBeTruthy();
      expect(JSON.stringify(result)).not.toContain(cluster.password);
    }
  }

  it('SSL required by the server while the profile disables it', () => expectError({ sslmode: 'disable' }, 'SSL_REQUIRED', /only accepts SSL/));
  it('host unreachable names host and port', () => expectError({ port: 1 }, 'HOST_UNREACHABLE', /127\.0\.0\.1:1\b/));
  it('unknown host name', () => expectError({ host: 'no-such-host.invalid' }, 'HOST_NOT_FOUND', /no-such-host\.invalid/));
  it('missing database', () => expectError({ database: 'nope' }, 'DATABASE_NOT_FOUND', /"nope"/));

  it('connects over SSL with require, and verifies the server with verify-full and its CA', async () => {
    for (const over of [{ sslmode: 'require' }, { sslmode: 'verify-full', sslRootCert: cluster.caFile }] as const) {
      const profile = await fixture.engine.profiles.add(profileFor(cluster, { name: `ssl-${over.sslmode}`, ...over }));
      const result = await fixture.engine.profiles.test(profile.id);
      await fixture.engine.profiles.remove(profile.id);
      expect(result, over.sslmode).toMatchObject({ ok: true, report: { ssl: true, serverMajor: 18 } });
    }
  });

  it('prefer falls back to SSL, allow retries with SSL when plain is refused', async () => {
    for (const sslmode of ['prefer', 'allow'] as const) {
      const profile = await fixture.engine.profiles.add(profileFor(cluster, { name: `fallback-${sslmode}`, sslmode }));
      const result = await fixture.engine.profiles.test(profile.id);
      await fixture.engine.profiles.remove(profile.id);
      expect(result, sslmode).toMatchObject({ ok: true, report: { ssl: true } });
    }
  });

  it('a certificate that cannot be verified', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-ca-'));
    const otherCa = path.join(dir, 'other.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other', '-keyout', path.join(dir, 'k'), '-out', otherCa]);
    await expectError({ sslmode: 'verify-full', sslRootCert: otherCa }, 'SSL_CERTIFICATE', /could not be verified/);
    await rm(dir, { recursive: true, force: true });
  });

  it('a pg_dump too old for the server (forced to Debian\'s 15)', async () => {
    const { createEngine } = await import('../../main/engine/index.ts');
    const forced = await createEngine({ dataDir: fixture.dataDir, secrets: fixture.engine.secrets, toolsOverrideDir: '/usr/lib/postgresql/15/bin' });
    const profile = await forced.profiles.add(profileFor(cluster, { name: 'forced15', sslmode: 'require' }));
    const result = await forced.profiles.test(profile.id);
    await forced.profiles.remove(profile.id);
    expect(result).toMatchObject({ ok: false, error: { code: 'TOOL_TOO_OLD' } });
    if (!result.ok) {
      expect(result.error.message).toMatch(/pg_dump 15\.\d+ .* older than the server \(PostgreSQL 18\./);
      expect(result.error.fix).toMatch(/bundled PostgreSQL 18/);
    }
  });
});
