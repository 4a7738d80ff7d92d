// The passwords and key passphrases of an SSH route's hops (a profile's tunnel, an SFTP
// destination's route), in the keychain only. Each is stored under its hop as reached
// (routeAccount: user@host:port after the hops before it), so moving a hop to another host leaves
// the old secret behind instead of sending it there, and reordering or adding jump hosts never
// hands one hop's secret to another.
import type { SshSecretInput, SshSettings } from '../model/profile.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { routeAccount, sshHops } from './tunnel-service.ts';

/** A route and whose it is ("ssh:<profile id>", "sftp:<destination id>"); no route: no secrets. */
export interface SecretRoute {
  owner: string;
  ssh: SshSettings | undefined;
}

function accountsOf(route: SecretRoute): string[] {
  const ssh = route.ssh;
  return ssh ? sshHops(ssh).map((hop) => routeAccount(route.owner, ssh, hop)) : [];
}

/** Each saved hop's login method by account: a key passphrase must never become a login password. */
function methodsOf(route: SecretRoute | null): Map<string, string> {
  const ssh = route?.ssh;
  return new Map(ssh ? sshHops(ssh).map((hop) => [routeAccount(route.owner, ssh, hop), hop.auth]) : []);
}

/**
 * Saves the secrets given for `route`'s hops (connection order; undefined keeps the saved one,
 * null forgets it) and forgets those of hops the route no longer has, that log in by agent, or
 * whose login method changed without a new secret (a key's passphrase is no login password).
 */
export async function saveRouteSecrets(secrets: SecretStore, before: SecretRoute | null, route: SecretRoute, inputs: readonly SshSecretInput[] = []): Promise<void> {
  const ssh = route.ssh;
  const hops = ssh ? sshHops(ssh) : [];
  const methodBefore = methodsOf(before);
  const keep = new Set<string>();
  for (const [index, hop] of hops.entries()) {
    const account = routeAccount(route.owner, ssh!, hop);
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

export async function deleteRouteSecrets(secrets: SecretStore, route: SecretRoute): Promise<void> {
  for (const account of accountsOf(route)) await secrets.delete(account).catch(() => {});
}

/** The saved secrets, per hop in connection order (null: none): for copying a route, never shown. */
export async function readRouteSecrets(secrets: SecretStore, route: SecretRoute): Promise<(string | null)[]> {
  return Promise.all(accountsOf(route).map((account) => secrets.get(account)));
}

/** Per hop: whether a password or passphrase is saved — what the app may know of them. */
export async function routeSecretsSaved(secrets: SecretStore, route: SecretRoute): Promise<boolean[]> {
  return (await readRouteSecrets(secrets, route)).map((secret) => secret !== null);
}
