// A profile's SSH passwords and key passphrases, in the keychain only. Each is stored under its hop
// (user@host:port), so moving a hop to another host leaves the old secret behind instead of sending
// it there, and reordering or adding jump hosts never hands one hop's secret to another.
import type { Profile, SshSecretInput } from '../model/profile.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { sshAccount, sshHops } from '../tunnel/tunnel-service.ts';

function accountsOf(profile: Profile): string[] {
  return profile.ssh ? sshHops(profile.ssh).map((hop) => sshAccount(profile.id, hop)) : [];
}

/**
 * Saves the secrets given for `profile`'s hops (connection order; undefined keeps the saved one,
 * null forgets it) and forgets those of hops the profile no longer has or that log in by agent.
 */
export async function saveSshSecrets(secrets: SecretStore, before: Profile | null, profile: Profile, inputs: readonly SshSecretInput[] = []): Promise<void> {
  const hops = profile.ssh ? sshHops(profile.ssh) : [];
  const keep = new Set<string>();
  for (const [index, hop] of hops.entries()) {
    const account = sshAccount(profile.id, hop);
    const input = inputs[index];
    if (hop.auth === 'agent' || input === null) {
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
