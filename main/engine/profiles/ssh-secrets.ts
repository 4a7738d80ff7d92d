// A profile's SSH passwords and key passphrases, in the keychain only, per hop as reached: the
// profile's route in tunnel/route-secrets.ts terms (an SFTP destination's route is kept the same way).
import type { Profile, SshSecretInput } from '../model/profile.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { deleteRouteSecrets, readRouteSecrets, routeSecretsSaved, saveRouteSecrets, type SecretRoute } from '../tunnel/route-secrets.ts';
import { profileRouteOwner } from '../tunnel/tunnel-service.ts';

function routeOf(profile: Profile): SecretRoute {
  return { owner: profileRouteOwner(profile.id), ssh: profile.ssh };
}

/**
 * Saves the secrets given for `profile`'s hops (connection order; undefined keeps the saved one,
 * null forgets it) and forgets those of hops the profile no longer has, that log in by agent, or
 * whose login method changed without a new secret (a key's passphrase is no login password).
 */
export async function saveSshSecrets(secrets: SecretStore, before: Profile | null, profile: Profile, inputs: readonly SshSecretInput[] = []): Promise<void> {
  await saveRouteSecrets(secrets, before ? routeOf(before) : null, routeOf(profile), inputs);
}

export async function deleteSshSecrets(secrets: SecretStore, profile: Profile): Promise<void> {
  await deleteRouteSecrets(secrets, routeOf(profile));
}

/** The saved secrets, per hop in connection order (null: none): for copying a profile, never shown. */
export async function readSshSecrets(secrets: SecretStore, profile: Profile): Promise<(string | null)[]> {
  return readRouteSecrets(secrets, routeOf(profile));
}

/** Per hop: whether a password or passphrase is saved — what the app may know of them. */
export async function sshSecretsSaved(secrets: SecretStore, profile: Profile): Promise<boolean[]> {
  return routeSecretsSaved(secrets, routeOf(profile));
}
