// A profile as an add or an edit would save it, worked out without saving: what update() stores, and
// what the add/edit form's "Test" connects with before the user saves. The keychain is not read
// here: which saved secrets an unsaved draft may use is decided from the saved profile alone.
import type { Profile, ProfileFields, ProfileInput, SshSecretInput } from '../model/profile.ts';
import { profileRouteOwner, routeAccount, sshHops } from '../tunnel/tunnel-service.ts';
import { normaliseProfileFields } from './profile-validation.ts';

/** Sections an edit keeps when it does not mention them (null removes them). */
const KEPT_WHEN_ABSENT = ['ssh', 'scope', 'backupFolder', 'canaryQueries'] as const;

/**
 * The checked fields of an add (`existing` absent) or an edit. An edit that does not mention the SSH
 * section, the database scope, the backup folder or the canaries keeps them: a form or a script that
 * does not show them must not remove the tunnel, move the backups or drop the drills' canaries.
 */
export function fieldsFromInput(input: ProfileInput, existing?: Profile): ProfileFields {
  const kept: Partial<ProfileFields> = {};
  for (const key of KEPT_WHEN_ABSENT) {
    const value = input[key] === undefined ? existing?.[key] : (input[key] ?? undefined);
    if (value !== undefined) Object.assign(kept, { [key]: value });
  }
  const { ssh: _s, scope: _c, backupFolder: _b, canaryQueries: _q, ...plain } = input;
  return normaliseProfileFields({ ...plain, ...kept });
}

/**
 * The SSH secret of each hop of a draft (connection order) for a test before saving: a typed one; none
 * for a hop that logs in by agent or whose secret the user forgot; otherwise the saved one (undefined:
 * read from the keychain) only where saving would keep it — the same hop of the same profile, logging
 * in the same way (a key's passphrase is no login password). A new profile has none saved.
 */
export function draftSshSecrets(draft: Profile, saved: Profile | undefined, inputs: readonly SshSecretInput[] = []): SshSecretInput[] {
  const ssh = draft.ssh;
  if (!ssh) return [];
  const owner = profileRouteOwner(draft.id);
  const savedSsh = saved?.id === draft.id ? saved.ssh : undefined;
  const savedAuth = new Map(savedSsh ? sshHops(savedSsh).map((hop) => [routeAccount(owner, savedSsh, hop), hop.auth]) : []);
  return sshHops(ssh).map((hop, index) => {
    const given = inputs[index];
    if (hop.auth === 'agent' || given === null) return null;
    if (typeof given === 'string' && given !== '') return given;
    return savedAuth.get(routeAccount(owner, ssh, hop)) === hop.auth ? undefined : null;
  });
}
