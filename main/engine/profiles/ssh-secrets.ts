// A profile's SSH passwords and key passphrases, in the keychain only. Each is stored under its hop
// (user@host:port), so moving a hop to another host leaves the old secret behind instead of sending
// it there, and reordering or adding jump hosts never hands one hop's secret to another.
import type { Profile, SshSecretInput } from '../model/profile.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { sshAccount, sshHops } from '../tunnel/tunnel-service.ts';

function accountsOf(profile: Profile): string[] {
  const ssh = profile.ssh;
  return ssh ? sshHops(ssh).map((hop) => sshAccount(profile.id, ssh, hop)) : [];
}

/** Each saved hop's login method by account: a key passphrase must never become a login password. */
function methodsOf(profile: Profile | null): Map<string, string> {
  const ssh = profile?.ssh;
  return new Map(ssh ? sshHops(ssh).map((hop) => [sshAccount(profile.id, ssh, hop), hop.auth]) : []);
}

/**
 * Saves the secrets given for `profile`'s hops (connection order; undefined keeps the saved one,
 * null forgets it) and forgets those of hops the profile no longer has, that log in by agent, or
 * whose login method changed without a new secret (a key's passphrase is no login password).
 */
export async function saveSshSecrets(secrets: SecretStore, before: Profile | null, profile: Profile, inputs: readonly SshSecretInput[] = []): Promise<void> {
  const ssh = profile.ssh;
  const hops = ssh ? sshHops(ssh) : [];
  const methodBefore = methodsOf(before);
  const keep = new Set<string>();
  for (const [index, hop] of hops.entries()) {
    const account = sshAccount(profile.id, ssh!, hop);
    const input = inputs[index];
    const methodChanged = methodBefore.has(account) && methodBefore.get(account) !== hop.auth;
    if (hop.auth === 'agent' || input === null || (methodChanged && !(typeof input === 'string' && input !== ''))) {
      await secrets.delete(account);
    } else if (typeof input === 'string' && input !== '') {
      await secrets.set(account, input);
      keep.add(account);
    } else {
      keep.add(account);
    }
  }
  for (const account of before ? accountsOf(before) : []) if (!keep.has(account)) await secrets.delete(account);
}

export async function deleteSshSecrets(secrets: SecretStore, profile: Profile): Promise<void> {
  for (const account of accountsOf(profile)) await secrets.delete(account).catch(() => {});
}

/** The saved secrets, per hop in connection order (null: none): for copying a profile, never shown. */
export async function readSshSecrets(secrets: SecretStore, profile: Profile): Promise<(string | null)[]> {
  return Promise.all(accountsOf(profile).map((account) => secrets.get(account)));
}

/** Per hop: whether a password or passphrase is saved — what the app may know of them. */
export async function sshSecretsSaved(secrets: SecretStore, profile: Profile): Promise<boolean[]> {
  return (await readSshSecrets(secrets, profile)).map((secret) => secret !== null);
}
