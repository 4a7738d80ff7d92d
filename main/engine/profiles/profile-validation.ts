import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import { splitStatements } from '../db/sql-tokens.ts';
import { normaliseScope } from './database-scope.ts';
import { PROFILE_COLORS, SSH_AUTH_METHODS, SSL_MODES, type ProfileFields, type SshHop, type SshSettings } from '../types.ts';

/** More jumps than this is a mistake (or a loop), not a network. */
export const MAX_SSH_JUMPS = 8;

/** Checks and normalises what a user typed; every problem names the field and the fix. */
export function normaliseProfileFields(input: Partial<ProfileFields>): ProfileFields {
  const name = (input.name ?? '').trim();
  if (!name) throw invalid('The profile needs a name.', 'Type a short name such as "production".');
  if (name.length > 80) throw invalid('The profile name is longer than 80 characters.', 'Use a shorter name.');
  const host = (input.host ?? '').trim();
  if (!host) throw invalid('The profile needs a host.', 'Type the server name or address, e.g. db.example.com or 127.0.0.1.');
  if (/[\s/]/.test(host) && !host.startsWith('/')) throw invalid(`"${host}" is not a valid host name.`, 'Type only the host name or IP address, without spaces, scheme or path.');
  const port = Number(input.port ?? 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`Port "${input.port}" is not a number between 1 and 65535.`, 'PostgreSQL listens on 5432 unless configured otherwise.');
  const user = (input.user ?? '').trim();
  if (!user) throw invalid('The profile needs a user name.', 'Type the PostgreSQL role to connect as, e.g. postgres.');
  const database = (input.database ?? '').trim() || user;
  const sslmode = input.sslmode ?? 'prefer';
  if (!SSL_MODES.includes(sslmode)) throw invalid(`SSL mode "${sslmode}" is not one of ${SSL_MODES.join(', ')}.`, 'Pick one of the listed SSL modes.');
  const color = input.color ?? 'blue';
  if (!PROFILE_COLORS.includes(color)) throw invalid(`Colour "${color}" is not one of ${PROFILE_COLORS.join(', ')}.`, 'Pick one of the listed colours.');
  const fields: ProfileFields = { name, host, port, database, user, sslmode, color };
  const sslRootCert = input.sslRootCert?.trim();
  const sslCert = input.sslCert?.trim();
  const sslKey = input.sslKey?.trim();
  if (sslRootCert) fields.sslRootCert = sslRootCert;
  if (sslCert) fields.sslCert = sslCert;
  if (sslKey) fields.sslKey = sslKey;
  const backupFolder = input.backupFolder?.trim();
  if (backupFolder) {
    if (!path.isAbsolute(backupFolder)) throw invalid(`The backup folder "${backupFolder}" is not an absolute path.`, 'Choose the folder with the folder picker, or type a full path such as /home/me/Backups.');
    fields.backupFolder = backupFolder;
  }
  if (input.canaryQueries?.length) fields.canaryQueries = normaliseCanaries(input.canaryQueries);
  if ((sslmode === 'verify-ca' || sslmode === 'verify-full') && !sslRootCert) {
    throw invalid(`SSL mode ${sslmode} needs the server's CA certificate.`, 'Choose the CA certificate file (root.crt) or use SSL mode "require".');
  }
  if (Boolean(sslCert) !== Boolean(sslKey)) throw invalid('A client certificate needs both the certificate and its key file.', 'Choose both files, or neither.');
  if (input.scope) fields.scope = normaliseScope(input.scope);
  if (input.ssh) {
    if (host.startsWith('/')) throw invalid('A Unix socket folder cannot be reached through SSH.', 'Type the database host as the SSH host sees it (e.g. localhost or a private address).');
    fields.ssh = normaliseSsh(input.ssh);
  }
  return fields;
}

/** More canaries than this is not a check any more but a second backup. */
export const MAX_CANARIES = 20;
export const MAX_CANARY_NAME = 100;
export const MAX_CANARY_SQL = 10_000;

/**
 * Canary queries: each one statement returning one value, run at every backup and again by drills.
 * One statement, because a drill runs it through the extended protocol (which refuses more) and a
 * backup inside its read-only snapshot, which a "…; COMMIT; …" would leave.
 */
export function normaliseCanaries(input: readonly { name?: string; sql?: string }[]): { name: string; sql: string }[] {
  if (input.length > MAX_CANARIES) throw invalid(`There are ${input.length} canary queries; at most ${MAX_CANARIES} are kept.`, 'Keep the few queries whose values prove the data is whole (counts, sums, the newest id).');
  const names = new Set<string>();
  return input.map((canary, index) => {
    const name = canary.name?.trim() || `canary ${index + 1}`;
    if (name.length > MAX_CANARY_NAME) throw invalid(`The canary name "${name.slice(0, 40)}…" is longer than ${MAX_CANARY_NAME} characters.`, 'Use a short name such as "orders".');
    if (names.has(name.toLowerCase())) throw invalid(`Two canaries are named "${name}".`, 'Give each canary its own name: a drill matches them by name.');
    names.add(name.toLowerCase());
    const text = canary.sql?.trim() ?? '';
    if (text.length > MAX_CANARY_SQL) throw invalid(`Canary "${name}" is longer than 10,000 characters.`, 'Keep canary queries short.');
    const statements = [...splitStatements(text)].filter((s) => s.codeStart >= 0);
    if (statements.length === 0) throw invalid(`Canary "${name}" has no SQL.`, 'Write a query that returns one value, e.g. SELECT max(id) FROM orders.');
    if (statements.length > 1) throw invalid(`Canary "${name}" holds ${statements.length} statements; a canary is one query.`, 'Keep one query that returns one value, e.g. SELECT max(id) FROM orders, and remove the others.');
    const only = statements[0]!;
    // Without its closing semicolon (comments after it go too): what the drill sends as one statement.
    return { name, sql: text.slice(0, only.terminated ? only.end - 1 : only.end).trim() };
  });
}

/** The SSH section: the bastion, its jumps, keep-alive. Every hop is checked like a host. */
export function normaliseSsh(input: Partial<SshSettings>): SshSettings {
  const jumps = input.jumps ?? [];
  if (!Array.isArray(jumps) || jumps.length > MAX_SSH_JUMPS) throw invalid(`An SSH route may have at most ${MAX_SSH_JUMPS} jump hosts.`, 'Remove jump hosts you do not need.');
  const keepAliveSeconds = Number(input.keepAliveSeconds ?? 30);
  if (!Number.isInteger(keepAliveSeconds) || keepAliveSeconds < 0 || keepAliveSeconds > 3600) {
    throw invalid(`SSH keep-alive "${input.keepAliveSeconds}" is not a number of seconds between 0 and 3600.`, 'Use 30 (0 turns keep-alive off).');
  }
  return { ...normaliseHop(input, 'SSH host'), jumps: jumps.map((jump, i) => normaliseHop(jump, `Jump host ${i + 1}`)), keepAliveSeconds };
}

function normaliseHop(input: Partial<SshHop>, what: string): SshHop {
  const host = (input.host ?? '').trim();
  if (!host) throw invalid(`${what} needs a host name.`, 'Type the SSH server\'s name or address, e.g. bastion.example.com.');
  if (!/^[A-Za-z0-9._:%[\]-]+$/.test(host) || host.startsWith('-')) throw invalid(`${what} "${host}" is not a valid host name.`, 'Type only the host name or IP address, without user, spaces or scheme.');
  const port = Number(input.port ?? 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`${what}: port "${input.port}" is not a number between 1 and 65535.`, 'SSH listens on 22 unless configured otherwise.');
  const user = (input.user ?? '').trim();
  if (!user) throw invalid(`${what} needs a user name.`, 'Type the SSH login, e.g. ubuntu or your own account name.');
  if (/[\s@:]/.test(user) || user.startsWith('-')) throw invalid(`${what}: "${user}" is not a valid SSH user name.`, 'Type the login name only.');
  const auth = input.auth ?? 'agent';
  if (!SSH_AUTH_METHODS.includes(auth)) throw invalid(`${what}: login method "${auth}" is not one of ${SSH_AUTH_METHODS.join(', ')}.`, 'Pick key, agent or password.');
  const hop: SshHop = { host, port, user, auth };
  if (auth === 'key') {
    const keyFile = input.keyFile?.trim() ?? '';
    if (!keyFile) throw invalid(`${what} logs in with a key, and no key file is chosen.`, 'Choose the private key file (e.g. ~/.ssh/id_ed25519), or log in with the agent.');
    if (!path.isAbsolute(keyFile)) throw invalid(`${what}: the key file "${keyFile}" is not an absolute path.`, 'Choose the key with the file picker, or type a full path.');
    hop.keyFile = keyFile;
  }
  return hop;
}

function invalid(message: string, fix: string): LifeboatError {
  return new LifeboatError('INVALID_INPUT', message, fix);
}
