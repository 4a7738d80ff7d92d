// The profile form's SSH section as the user edits it (text fields, write-only secrets) and its
// conversion to what the engine saves. Pure functions: the components stay about layout.
import type { ErrorInfo, ProfileSummary, SshAuthMethod, SshHop, SshSecretInput, SshSettings } from '../../../main/ipc/contract.ts';

export interface HopFields {
  /** React key: stays with the hop while jump hosts are reordered. */
  key: string;
  host: string;
  port: string;
  user: string;
  auth: SshAuthMethod;
  keyFile: string;
  /** A new password or key passphrase; never the saved one (that stays in main). */
  secret: string;
  forgetSecret: boolean;
}

export interface SshFields {
  enabled: boolean;
  bastion: HopFields;
  /** In connection order: the first is connected to first, the bastion is reached through the last. */
  jumps: HopFields[];
  keepAlive: string;
}

export const MAX_JUMPS = 8;
const DEFAULT_KEEP_ALIVE = 30;

let keySeq = 0;
const nextKey = () => `hop-${++keySeq}`;

export function emptyHop(): HopFields {
  return { key: nextKey(), host: '', port: '22', user: '', auth: 'key', keyFile: '', secret: '', forgetSecret: false };
}

function hopFields(hop: SshHop): HopFields {
  return { ...emptyHop(), host: hop.host, port: String(hop.port), user: hop.user, auth: hop.auth, keyFile: hop.keyFile ?? '' };
}

export function initialSsh(profile: ProfileSummary | undefined): SshFields {
  const ssh = profile?.ssh;
  if (!ssh) return { enabled: false, bastion: emptyHop(), jumps: [], keepAlive: String(DEFAULT_KEEP_ALIVE) };
  return { enabled: true, bastion: hopFields(ssh), jumps: ssh.jumps.map(hopFields), keepAlive: String(ssh.keepAliveSeconds) };
}

const portOf = (text: string) => (text.trim() === '' ? 22 : Number(text.trim()));

/** The engine keys a hop's secret by user@host:port: the same string tells whether one is saved for the hop as typed now. */
export function hopIdentity(hop: Pick<HopFields, 'user' | 'host' | 'port'>): string {
  return `${hop.user.trim()}@${hop.host.trim()}:${portOf(hop.port)}`;
}

/**
 * The saved profile's hops that have a secret saved (sshSecretsSaved is per hop, jumps first), by
 * identity, with the login method it was saved for: a key passphrase is no password.
 */
export type SavedSecrets = Map<string, SshAuthMethod>;

export function savedSecretHops(profile: ProfileSummary | undefined): SavedSecrets {
  const ssh = profile?.ssh;
  if (!ssh) return new Map();
  const hops = [...ssh.jumps, ssh].filter((_, i) => profile.sshSecretsSaved?.[i] === true);
  return new Map(hops.map((hop) => [hopIdentity({ ...hop, port: String(hop.port) }), hop.auth]));
}

/** Whether the hop as typed now has a saved secret it would use: same user@host:port, same login method. */
export function hasSavedSecret(saved: SavedSecrets, hop: HopFields): boolean {
  return saved.get(hopIdentity(hop)) === hop.auth;
}

/** The route a saved DB password is bound to (engine: endpointOf — every hop, jumps first), or '' without SSH. */
export function bastionEndpoint(ssh: SshFields): string {
  return ssh.enabled ? [...ssh.jumps, ssh.bastion].map(hopIdentity).join('>') : '';
}

export function savedBastionEndpoint(profile: ProfileSummary): string {
  const ssh = profile.ssh;
  return ssh ? [...ssh.jumps, ssh].map((hop) => hopIdentity({ ...hop, port: String(hop.port) })).join('>') : '';
}

function invalid(message: string, fix: string): { error: ErrorInfo } {
  return { error: { code: 'INVALID_INPUT', message, fix } };
}

function hopInput(hop: HopFields, what: string): { hop: SshHop } | { error: ErrorInfo } {
  if (hop.host.trim() === '') return invalid(`${what} needs a host name.`, 'Type the SSH server’s name or address, e.g. bastion.example.com.');
  const port = portOf(hop.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return invalid(`${what}: port "${hop.port.trim()}" is not a number between 1 and 65535.`, 'SSH listens on 22 unless configured otherwise.');
  if (hop.user.trim() === '') return invalid(`${what} needs a user name.`, 'Type the SSH login, e.g. ubuntu or your own account name.');
  const base: SshHop = { host: hop.host.trim(), port, user: hop.user.trim(), auth: hop.auth };
  if (hop.auth !== 'key') return { hop: base };
  if (hop.keyFile === '') return invalid(`${what} logs in with a key file, and none is chosen.`, 'Press “Choose…” and pick the private key (e.g. ~/.ssh/id_ed25519), or log in with the SSH agent.');
  return { hop: { ...base, keyFile: hop.keyFile } };
}

/** undefined keeps the saved secret, null forgets it, a string replaces it (ProfileInput.sshSecrets). */
function secretInput(hop: HopFields, saved: SavedSecrets): SshSecretInput {
  if (hop.auth === 'agent') return undefined;
  if (hop.forgetSecret) return null;
  if (hop.secret !== '') return hop.secret;
  // Switched between key and password: the passphrase saved for the key is not the login password.
  return saved.has(hopIdentity(hop)) && !hasSavedSecret(saved, hop) ? null : undefined;
}

/** What the form saves: the SSH settings and per-hop secrets (jumps first, the bastion last), or the first problem. */
export function sshInput(ssh: SshFields, saved: SavedSecrets): { ssh: SshSettings; sshSecrets: SshSecretInput[] } | { error: ErrorInfo } {
  const jumps: SshHop[] = [];
  for (const [i, jump] of ssh.jumps.entries()) {
    const checked = hopInput(jump, `Jump host ${i + 1}`);
    if ('error' in checked) return checked;
    jumps.push(checked.hop);
  }
  const bastion = hopInput(ssh.bastion, 'The SSH host');
  if ('error' in bastion) return bastion;
  const keepText = ssh.keepAlive.trim();
  const keepAliveSeconds = keepText === '' ? DEFAULT_KEEP_ALIVE : Number(keepText);
  if (!Number.isInteger(keepAliveSeconds) || keepAliveSeconds < 0 || keepAliveSeconds > 3600) {
    return invalid(`Keep-alive "${keepText}" is not a number of seconds between 0 and 3600.`, 'Use 30 (0 turns keep-alive off).');
  }
  return { ssh: { ...bastion.hop, jumps, keepAliveSeconds }, sshSecrets: [...ssh.jumps, ssh.bastion].map((hop) => secretInput(hop, saved)) };
}

/** Jump hosts after moving the one at `index` by `delta` places (a no-op at either end). */
export function moveJump(jumps: HopFields[], index: number, delta: -1 | 1): HopFields[] {
  const to = index + delta;
  if (to < 0 || to >= jumps.length) return jumps;
  const next = [...jumps];
  [next[index], next[to]] = [next[to]!, next[index]!];
  return next;
}
