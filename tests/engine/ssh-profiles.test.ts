// A profile's SSH section and its secrets, without a server: secrets bound to each hop as reached,
// an edit that does not mention SSH keeps it (null removes it), a changed login method forgets a
// secret meant for the other one, a password never goes to the jump hosts.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../main/engine/index.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import type { ProfileInput, SshSettings } from '../../main/engine/types.ts';
import { lifeboat } from '../support/cli-runner.ts';

let work: string;
let engine: Engine;
const secrets = new SessionSecretStore('test');

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-ssh-profiles-'));
  engine = await createEngine({ dataDir: path.join(work, 'home'), secrets });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const bastion: SshSettings = { host: 'bastion.example', port: 22, user: 'ops', auth: 'password', jumps: [], keepAliveSeconds: 30 };
const input = (name: string, more: Partial<ProfileInput> = {}): ProfileInput => ({ name, host: 'localhost', port: 5432, database: 'app', user: 'app', sslmode: 'disable', color: 'blue', ...more });

describe('SSH profiles', () => {
  it('keeps the SSH section on an edit that does not mention it, and removes it (with its secret) on null', async () => {
    const added = await engine.profiles.add(input('keep', { ssh: bastion, sshSecrets: ['s3cret'] }));
    expect(added.sshSecretsSaved).toEqual([true]);
    const edited = await engine.profiles.update(added.id, input('keep', { color: 'red' }));
    expect(edited.ssh).toEqual(bastion);
    expect(edited.sshSecretsSaved).toEqual([true]);
    const removed = await engine.profiles.update(added.id, input('keep', { ssh: null }));
    expect(removed.ssh).toBeUndefined();
    expect(await secrets.get(`ssh:${added.id}:ops@bastion.example:22`)).toBeNull();
  });

  it('forgets a secret whose login method changed, and one whose hop is now reached another way', async () => {
    const added = await engine.profiles.add(input('method', { ssh: bastion, sshSecrets: ['the password'] }));
    const toKey = await engine.profiles.update(added.id, input('method', { ssh: { ...bastion, auth: 'key', keyFile: '/home/ops/.ssh/id_ed25519' } }));
    expect(toKey.sshSecretsSaved).toEqual([false]); // a login password is not the key's passphrase
    await engine.profiles.update(added.id, input('method', { ssh: bastion, sshSecrets: ['again'] }));
    const rerouted = await engine.profiles.update(added.id, input('method', { ssh: { ...bastion, jumps: [{ host: 'gw.example', port: 22, user: 'ops', auth: 'agent' }] } }));
    expect(rerouted.sshSecretsSaved).toEqual([false, false]);
  });

  it('binds the database password to the route: another bastion does not get it', async () => {
    const added = await engine.profiles.add(input('route', { ssh: bastion, password: 'db-password' }));
    expect(added.passwordStorage).toBe('session');
    const moved = await engine.profiles.update(added.id, input('route', { ssh: { ...bastion, host: 'other-bastion.example' } }));
    expect(moved.passwordStorage).toBe('none');
  });

  it('the CLI gives the SSH password to the bastion only, never to a jump host', async () => {
    const home = path.join(work, 'cli-home');
    const add = await lifeboat(home, ['profile', 'add', 'jumped', '--url', 'postgres://app@10.0.0.5:5432/app', '--ssh', 'ops@127.0.0.1:1', '--ssh-jump', 'ops@127.0.0.1:2', '--ssh-password-env', 'LB_TEST_SSH_PW', '--json'], { env: { LB_TEST_SSH_PW: 'only-for-the-bastion' } });
    expect(add.code, add.stdout + add.stderr).toBe(0);
    expect(add.json.profile.ssh).toMatchObject({ auth: 'password', jumps: [{ auth: 'agent' }] });
    expect(add.json.profile.sshSecretsSaved).toEqual([false, true]);
    expect(add.json.test.error.code).toMatch(/^SSH_/);
    await lifeboat(home, ['profile', 'remove', 'jumped']);
  });
});
