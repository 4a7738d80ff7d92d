// The `lifeboat` command as a user runs it: a child process with Node 24, a fresh LIFEBOAT_HOME,
// the real keychain and a real PostgreSQL 18 server.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AsyncEntry } from '@napi-rs/keyring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifeboat as runLifeboat, type CliOptions, type CliResult } from '../support/cli-runner.ts';
import { readAllFiles } from '../support/engine-fixture.ts';
import { startCluster, type Cluster } from '../support/pg-cluster.ts';

let home: string;
let cluster: Cluster;

type Run = Omit<CliResult, 'json'> & { json: () => any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The CLI in this file's LIFEBOAT_HOME, watching every process's argv for `watchFor` meanwhile (tests/support/cli-runner.ts). */
async function lifeboat(args: string[], options: CliOptions = {}): Promise<Run> {
  const result = await runLifeboat(home, args, options);
  return { ...result, json: () => JSON.parse(result.stdout) };
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-cli-'));
  cluster = await startCluster(18, { password: 'cli-Secret-4711' });
});
afterAll(async () => {
  await lifeboat(['profile', 'remove', 'p18']);
  await cluster.stop();
  await rm(home, { recursive: true, force: true });
});

describe('lifeboat CLI', () => {
  it('--version and help', async () => {
    const version = await lifeboat(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^lifeboat \d+\.\d+\.\d+/);
    const help = await lifeboat(['--help']);
    expect(help.stdout).toContain('profile test NAME');
  });

  it('tools --json lists pg_dump, pg_restore and psql 18', async () => {
    const run = await lifeboat(['tools', '--json']);
    expect(run.code).toBe(0);
    const report = run.json();
    for (const name of ['pg_dump', 'pg_restore', 'psql']) expect(report.chosen[name].version).toMatch(/^18\./);
  });

  it('adds a profile with --password-stdin and tests it: server 18, pg_dump 18; the password only in the keychain', async () => {
    const password = cluster.password;
    const add = await lifeboat(['profile', 'add', 'p18', '--url', cluster.url('postgres'), '--password-stdin', '--json'], { stdin: `${password}\n`, watchFor: password });
    expect(add.code, add.stderr).toBe(0);
    const profile = add.json().profile;
    expect(profile.passwordStorage).toBe(process.env.LIFEBOAT_EXPECT_KEYCHAIN === '1' ? 'keychain' : 'session');

    const test = await lifeboat(['profile', 'test', 'p18', '--json'], { watchFor: password });
    expect(test.code, test.stdout + test.stderr).toBe(0);
    const { report } = test.json();
    expect(report.serverMajor).toBe(18);
    expect(report.tools.pg_dump.major).toBe(18);
    expect(report.tools.pg_dump.path).toMatch(/pg_dump$/);

    if (process.env.LIFEBOAT_EXPECT_KEYCHAIN === '1') {
      const stored = await new AsyncEntry('Lifeboat', `profile:${profile.id}`, { linux: { store: 'secret-service' } }).getPassword();
      expect(stored).toBe(password);
    }
    for (const { file, content } of await readAllFiles(home)) expect(content.includes(password), file).toBe(false);

    const list = await lifeboat(['profile', 'list', '--json']);
    expect(list.json().profiles.map((p: { name: string }) => p.name)).toEqual(['p18']);
    expect(list.stdout).not.toContain(password);
  });

  it('gives distinct, actionable one-line errors: wrong password, closed port, pg_dump 15 forced', async () => {
    await lifeboat(['profile', 'add', 'wrongpw', '--url', cluster.url('postgres'), '--password-stdin'], { stdin: 'nope' });
    await lifeboat(['profile', 'add', 'closed', '--url', 'postgres://postgres@127.0.0.1:1/postgres']);
    const wrong = await lifeboat(['profile', 'test', 'wrongpw']);
    const closed = await lifeboat(['profile', 'test', 'closed']);
    const old = await lifeboat(['profile', 'test', 'p18', '--pg-bin', '/usr/lib/postgresql/15/bin']);
    const messages = [wrong, closed, old].map((run) => {
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain('Fix:');
      return run.stderr;
    });
    expect(messages[0]).toMatch(/Wrong password for user "postgres" on 127\.0\.0\.1:\d+/);
    expect(messages[1]).toMatch(/127\.0\.0\.1:1 \(connection refused\)/);
    expect(messages[2]).toMatch(/pg_dump 15\.\d+ .*older than the server \(PostgreSQL 18\.\d+\)/);
    expect(new Set(messages).size).toBe(3);
    const json = await lifeboat(['profile', 'test', 'closed', '--json']);
    expect(json.json()).toMatchObject({ ok: false, error: { code: 'HOST_UNREACHABLE' } });
    await lifeboat(['profile', 'remove', 'wrongpw']);
    await lifeboat(['profile', 'remove', 'closed']);
  });

  it('imports a profile from PG* variables', async () => {
    const run = await lifeboat(['profile', 'import', '--env', '--name', 'from-env', '--json'], {
      env: { PGHOST: '127.0.0.1', PGPORT: String(cluster.port), PGUSER: 'postgres', PGDATABASE: 'postgres', PGPASSWORD: cluster.password },
    });
    expect(run.code, run.stderr).toBe(0);
    const test = await lifeboat(['profile', 'test', 'from-env', '--json']);
    expect(test.json()).toMatchObject({ ok: true, report: { serverMajor: 18 } });
    expect((await lifeboat(['profile', 'remove', 'from-env'])).code).toBe(0);
  });

  it('usage errors exit 2, unknown profiles exit 1, both with one line and --json output', async () => {
    const unknown = await lifeboat(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const badOption = await lifeboat(['tools', '--url', 'x']);
    expect(badOption.code).toBe(2);
    const missing = await lifeboat(['profile', 'test', 'ghost', '--json']);
    expect(missing.code).toBe(1);
    expect(missing.json()).toMatchObject({ ok: false, error: { code: 'PROFILE_NOT_FOUND' } });
    const missingUrl = await lifeboat(['profile', 'add', 'x']);
    expect(missingUrl.code).toBe(2);
    expect(missingUrl.stderr).toContain('--url');
  });
});
