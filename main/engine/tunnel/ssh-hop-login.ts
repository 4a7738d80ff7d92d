// How Lifeboat logs in to one SSH host: the ssh2 connect options for the hop's method (key file,
// agent, password), checked before any connection so a missing key, a missing passphrase or a
// missing agent is named as such instead of surfacing as "all authentication methods failed".
import { stat } from 'node:fs/promises';
import ssh2, { type ConnectConfig } from 'ssh2'; // CommonJS: its named exports are not visible to Node's ESM loader
import { LifeboatError } from '../errors.ts';
import { readSmallUserFile } from '../files/user-file.ts';
import { formatBytes } from '../format-bytes.ts';
import type { SshHop } from '../model/profile.ts';

/** A private key file is a few kilobytes; anything this large is not one and is not read. */
const MAX_KEY_FILE_BYTES = 256 * 1024;

/** "user@host:port", the way errors and the activity log name a hop. */
export function hopLabel(hop: Pick<SshHop, 'user' | 'host' | 'port'>): string {
  return `${hop.user}@${hop.host}${hop.port === 22 ? '' : `:${hop.port}`}`;
}

/** Where the user sets a hop's login up, for the fixes: a profile's SSH section unless told otherwise. */
export const PROFILE_SSH_SETTINGS = 'the profile\'s SSH section';

/**
 * ssh2's login options for `hop`; `secret` is its password or key passphrase (null: none saved).
 * `settings` names where the user sets the login up ("the profile's SSH section"), for the fixes.
 */
export async function loginOptions(hop: SshHop, secret: string | null, agentSocket: string | undefined, settings = PROFILE_SSH_SETTINGS): Promise<Partial<ConnectConfig>> {
  switch (hop.auth) {
    case 'password':
      if (secret === null) throw authError(hop, 'no SSH password is saved for it', `Edit ${settings} and enter the password.`);
      return { password: secret, authHandler: ['password'] };
    case 'agent':
      if (!agentSocket) throw authError(hop, 'no SSH agent is running (SSH_AUTH_SOCK is not set)', `Start ssh-agent and add your key (ssh-add), or choose a key file in ${settings}.`);
      return { agent: agentSocket, authHandler: ['agent'] };
    case 'key':
      return keyLogin(hop, secret, settings);
  }
}

async function keyLogin(hop: SshHop, passphrase: string | null, settings: string): Promise<Partial<ConnectConfig>> {
  const file = hop.keyFile;
  if (!file) throw authError(hop, 'no private key file is chosen', `Choose the private key file in ${settings}.`);
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw authError(hop, `its key file ${file} ${error.code === 'ENOENT' ? 'does not exist' : `cannot be read (${error.code})`}`, `Choose an existing private key file in ${settings}.`);
  });
  if (!info.isFile() || info.size > MAX_KEY_FILE_BYTES) {
    throw authError(hop, `${file} is not a private key file (${info.isFile() ? formatBytes(info.size) : 'not a file'})`, 'Choose the private key file (e.g. ~/.ssh/id_ed25519), not the .pub file or a folder.');
  }
  // Read through the user-file opener (bounded, non-blocking): the file may have changed since the stat.
  const tooBig = () => authError(hop, `${file} is not a private key file (over ${formatBytes(MAX_KEY_FILE_BYTES)})`, 'Choose the private key file (e.g. ~/.ssh/id_ed25519), not the .pub file or a folder.');
  const key = await readSmallUserFile(file, MAX_KEY_FILE_BYTES, tooBig).catch((error: unknown) => {
    // Still a login problem (no permission, a pipe put in its place), said as one.
    if (error instanceof LifeboatError && error.code !== 'SSH_AUTH_FAILED') throw authError(hop, error.message.replace(/\.$/, ''), `Choose a private key file you may read in ${settings}.`);
    throw error;
  });
  const parsed = ssh2.utils.parseKey(key, passphrase ?? undefined);
  if (parsed instanceof Error) throw keyParseError(hop, file, parsed, passphrase !== null, settings);
  return { privateKey: key, ...(passphrase !== null ? { passphrase } : {}), authHandler: ['publickey'] };
}

function keyParseError(hop: SshHop, file: string, error: Error, hadPassphrase: boolean, settings: string): LifeboatError {
  if (/no passphrase given/i.test(error.message)) {
    return authError(hop, `the key ${file} is protected by a passphrase and none is saved`, `Edit ${settings} and enter the key's passphrase.`);
  }
  if (/bad passphrase|decrypt|integrity check/i.test(error.message) && hadPassphrase) {
    return authError(hop, `the saved passphrase does not open the key ${file}`, `Edit ${settings} and enter the key's passphrase again.`);
  }
  return authError(hop, `${file} is not a private key Lifeboat can read (${error.message})`, 'Choose a private key in OpenSSH or PEM format (e.g. ~/.ssh/id_ed25519).');
}

function authError(hop: SshHop, why: string, fix: string): LifeboatError {
  return new LifeboatError('SSH_AUTH_FAILED', `Cannot log in to SSH host ${hopLabel(hop)}: ${why}.`, fix);
}

/** The server said no to the method we tried: say which one, and what to check. */
export function refusedLogin(hop: SshHop, settings = PROFILE_SSH_SETTINGS): LifeboatError {
  const tried = { key: `the key ${hop.keyFile ?? ''}`.trim(), agent: 'the keys in your SSH agent', password: 'the saved password' }[hop.auth];
  const fix = {
    key: `Add the public key (${hop.keyFile ?? 'the key'}.pub) to ~${hop.user}/.ssh/authorized_keys on ${hop.host}, or choose another key.`,
    agent: `Add the right key to your agent (ssh-add -l lists them), or choose a key file.`,
    password: `Enter the correct password in ${settings} (the server may also not allow password logins: PasswordAuthentication).`,
  }[hop.auth];
  return new LifeboatError('SSH_AUTH_FAILED', `SSH host ${hopLabel(hop)} refused the login with ${tried}.`, fix);
}
