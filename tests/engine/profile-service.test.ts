// Profiles on disk, passwords in the keychain (or this session's memory) and nowhere else.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AsyncEntry } from '@napi-rs/keyring';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import type { ProfileInput } from '../../main/engine/types.ts';
import { createTestEngine, NODE_BIN_DIR, readAllFiles, REPO_ROOT, type EngineFixture } from '../support/engine-fixture.ts';

const run = promisify(execFile);
const input: ProfileInput = { name: 'prod', host: 'db.example.com', port: 5432, database: 'app', user: 'app', sslmode: 'require', color: 'red', password: 'Pa55-word-prod' };
const keychainEntry = (id: string) => new AsyncEntry('Lifeboat', `profile:${id}`, { linux: { store: 'secret-service' } });

let fixture: EngineFixture;
beforeEach(async () => {
  fixture = await createTestEngine();
});
afterEach(() => fixture.dispose());

async function expectNoFileContains(secret: string): Promise<void> {
  for (const { file, content } of await readAllFiles(fixture.dataDir)) expect(content.includes(secret), file).toBe(false);
}

describe('profiles with the OS keychain', () => {
  it('runs against a real keychain in the test session', () => {
    if (process.env.LIFEBOAT_EXPECT_KEYCHAIN !== '1') throw new Error('run the suite with npm test: it provides the keychain session');
    expect(fixture.engine.secrets.storage).toBe('keychain');
  });

  it('add / edit (keep, replace, forget the password) / duplicate / delete', async () => {
    const { profiles } = fixture.engine;
    const added = await profiles.add(input);
    expect(added).toMatchObject({ name: 'prod', passwordStorage: 'keychain' });
    expect(await keychainEntry(added.id).getPassword()).toBe('Pa55-word-prod');
    expect(JSON.stringify(await profiles.list())).not.toContain('Pa55');

    // Same server, other fields: the password stays.
    await profiles.update(added.id, { ...input, color: 'teal', password: undefined });
    expect((await profiles.resolveForConnection(added.id)).password).toBe('Pa55-word-prod');
    // Another port is another server: kept only when the user says so …
    await profiles.update(added.id, { ...input, port: 6432, password: undefined, keepPasswordForNewServer: true });
    expect((await profiles.resolveForConnection(added.id)).password).toBe('Pa55-word-prod');
    // … otherwise forgotten, so it never reaches a server it was not given for.
    const moved = await profiles.update(added.id, { ...input, host: 'elsewhere.example.com', password: undefined });
    expect(moved.passwordStorage).toBe('none');
    expect((await profiles.resolveForConnection(added.id)).password).toBeNull();
    expect(await keychainEntry(added.id).getPassword()).toBeNull();
    await profiles.update(added.id, { ...input, password: 'New-pa55' });
    expect(await keychainEntry(added.id).getPassword()).toBe('New-pa55');

    const copy = await profiles.duplicate(added.id);
    const copy2 = await profiles.duplicate(added.id);
    expect([copy.name, copy2.name]).toEqual(['prod copy', 'prod copy 2']);
    expect((await profiles.resolveForConnection(copy.id)).password).toBe('New-pa55');

    const forgotten = await profiles.update(added.id, { ...input, password: null });
    expect(forgotten.passwordStorage).toBe('none');
    expect(await keychainEntry(added.id).getPassword()).toBeNull();

    await profiles.remove(copy.id);
    expect(await keychainEntry(copy.id).getPassword()).toBeNull();
    expect((await profiles.list()).map((p) => p.name)).toEqual(['prod', 'prod copy 2']);
    await expectNoFileContains('Pa55');
  });

  it('an edit that does not mention the backup folder or the canaries keeps them; null removes them', async () => {
    const { profiles } = fixture.engine;
    const canaryQueries = [{ name: 'orders', sql: 'SELECT count(*) FROM orders' }];
    const added = await profiles.add({ ...input, backupFolder: '/srv/backups/prod', canaryQueries });
    // The app's form, like an older script, sends neither: the backups must not move, the drills keep their canaries.
    const edited = await profiles.update(added.id, { ...input, color: 'teal', password: undefined });
    expect(edited).toMatchObject({ color: 'teal', backupFolder: '/srv/backups/prod', canaryQueries });
    const moved = await profiles.update(added.id, { ...input, backupFolder: '/srv/other', password: undefined });
    expect(moved).toMatchObject({ backupFolder: '/srv/other', canaryQueries });
    const cleared = await profiles.update(added.id, { ...input, backupFolder: null, canaryQueries: null, password: undefined });
    expect(cleared.backupFolder).toBeUndefined();
    expect(cleared.canaryQueries).toBeUndefined();
    expect((await profiles.get(added.id)).backupFolder).toBeUndefined();
  });

  it('refuses duplicate names and unknown profiles with a fix', async () => {
    await fixture.engine.profiles.add(input);
    await expect(fixture.engine.profiles.add({ ...input, name: 'PROD' })).rejects.toMatchObject({ code: 'PROFILE_EXISTS' });
    await expect(fixture.engine.profiles.get('staging')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND', fix: expect.stringContaining('prod') });
  });

  it('imports from a URI and a .pgpass file, passwords straight into the keychain', async () => {
    const preview = await fixture.engine.profiles.importCandidates({ kind: 'uri', uri: 'postgres://rep:Uri-Pa55@replica.example.com:5433/app?sslmode=require' });
    expect(preview).toEqual([{ fields: expect.objectContaining({ host: 'replica.example.com', port: 5433 }), hasPassword: true, source: 'connection URI' }]);
    expect(JSON.stringify(preview)).not.toContain('Uri-Pa55');
    const pgpass = path.join(fixture.dataDir, '..', `pgpass-${Date.now()}`);
    await writeFile(pgpass, 'a.example.com:5432:sales:alice:Pgpass-Pa55\n*:*:*:*:ignored\n', { mode: 0o600 });
    try {
      const saved = await fixture.engine.profiles.importAndSave({ kind: 'pgpass', file: pgpass });
      expect(saved.map((p) => [p.name, p.passwordStorage])).toEqual([['alice@a.example.com/sales', 'keychain']]);
      expect((await fixture.engine.profiles.resolveForConnection(saved[0]!.id)).password).toBe('Pgpass-Pa55');
    } finally {
      await rm(pgpass, { force: true });
    }
    await expectNoFileContains('Pgpass-Pa55');
  });
});

describe('without a keychain', () => {
  it('keeps the password in memory for this session only and says so plainly', async () => {
    const session = await createTestEngine({ secrets: new SessionSecretStore('no Secret Service on this desktop') });
    try {
      const added = await session.engine.profiles.add({ ...input, password: 'Session-Pa55' });
      expect(added.passwordStorage).toBe('session');
      expect(session.engine.secrets.status()).toEqual({ available: false, message: expect.stringMatching(/no Secret Service.*this session only.*never written to disk/) });
      for (const { file, content } of await readAllFiles(session.dataDir)) expect(content.includes('Session-Pa55'), file).toBe(false);
    } finally {
      await session.dispose();
    }
  });

  it('detects a missing Secret Service instead of silently using a volatile store', async () => {
    // A fresh process: the keyring library keeps its D-Bus connection for the life of a process.
    const { stdout } = await run(path.join(REPO_ROOT, 'main/cli/bin.mjs'), ['keychain', '--json'], {
      env: { PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: fixture.dataDir, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' },
    });
    expect(JSON.parse(stdout)).toEqual({ available: false, message: expect.stringMatching(/^No OS keychain is available \(.+\)\. Passwords are kept for this session only/) });
  });

  it('the CLI warns and writes no password to disk', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-nokeychain-'));
    try {
      const child = run(path.join(REPO_ROOT, 'main/cli/bin.mjs'), ['profile', 'add', 'x', '--url', 'postgres://u@h/db', '--password-stdin'], {
        env: { PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: home, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', HOME: home },
      });
      child.child.stdin?.end('Cli-Session-Pa55');
      const { stdout, stderr } = await child;
      expect(stderr).toMatch(/warning: No OS keychain is available/);
      expect(stdout).toMatch(/password kept for this session only/);
      const { readAllFiles: all } = await import('../support/engine-fixture.ts');
      for (const { file, content } of await all(home)) expect(content.includes('Cli-Session-Pa55'), file).toBe(false);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
