import type pg from 'pg';
import type { ConnectionOptions } from 'node:tls';
import { LifeboatError } from '../errors.ts';
import { readSmallUserFile } from '../files/user-file.ts';
import type { Profile } from '../types.ts';
import { socketAddress, tunnelProblemOr, type ConnectTarget } from '../tunnel/connect-target.ts';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens a `pg` client the way libpq would for the profile's sslmode, with errors a user can act on.
 * Through the job's tunnel when it has one: the socket goes to the tunnel's local end, and verify-full
 * still checks the certificate against the profile's host name (the servername below).
 */
export async function connectProfile(profile: ConnectTarget, password: string | null): Promise<{ client: pg.Client; ssl: boolean }> {
  const attempts = sslAttempts(profile, await readSslFiles(profile));
  const address = socketAddress(profile);
  const { Client } = await loadPg();
  let lastError: unknown;
  for (const [index, ssl] of attempts.entries()) {
    const client = new Client({
      host: address.host,
      port: address.port,
      database: profile.database,
      user: profile.user,
      // pg insists on a string once the server asks for a password; an empty one gives a clear auth error.
      password: password ?? '',
      ssl: ssl === false ? false : ssl,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'Lifeboat',
    });
    client.on('error', () => {}); // a dropped connection surfaces on the next query instead of crashing
    try {
      await client.connect();
      return { client, ssl: ssl !== false };
    } catch (error) {
      lastError = error;
      await client.end().catch(() => {});
      const retry = index < attempts.length - 1 && shouldTryNextSslMode(error, ssl !== false);
      if (!retry) break;
    }
  }
  throw explainConnectError(tunnelProblemOr(profile, lastError), profile, password !== null);
}

type SslOption = false | ConnectionOptions;

/**
 * The `pg` package, loaded on first use: ~40 ms of every CLI start that connects nowhere (--version,
 * status, list) otherwise. Shared by every module that opens a connection.
 */
export async function loadPg(): Promise<typeof pg> {
  return (await import('pg')).default;
}

/** libpq's allow/prefer fall back between plain and SSL; node-pg has no such modes, so try in order. */
function sslAttempts(profile: Profile, files: ConnectionOptions): SslOption[] {
  const encrypted: ConnectionOptions = { ...files, rejectUnauthorized: false };
  switch (profile.sslmode) {
    case 'disable':
      return [false];
    case 'allow':
      return [false, encrypted];
    case 'prefer':
      return [encrypted, false];
    case 'require':
      // libpq: require with a root certificate behaves like verify-ca.
      return [profile.sslRootCert ? { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined } : encrypted];
    case 'verify-ca':
      return [{ ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined }];
    case 'verify-full':
      return [{ ...files, rejectUnauthorized: true, servername: profile.host }];
  }
}

/** A CA bundle with every public root is ~200 KiB; a certificate or key file far larger is not one. */
const MAX_SSL_FILE_BYTES = 4 * 1024 * 1024;

/** The profile's certificate and key files, read before each connection (they may have been renewed since). */
async function readSslFiles(profile: Profile): Promise<ConnectionOptions> {
  const files: ConnectionOptions = {};
  if (profile.sslRootCert) files.ca = await readSslFile(profile.sslRootCert, 'CA certificate');
  if (profile.sslCert) files.cert = await readSslFile(profile.sslCert, 'client certificate');
  if (profile.sslKey) files.key = await readSslFile(profile.sslKey, 'client key');
  return files;
}

/**
 * One SSL file, through the user-file opener: the paths come from a file dialog, an imported URI or
 * PGSSL* variables, and a named pipe there must be refused, not wait forever for a writer.
 */
async function readSslFile(file: string, what: string): Promise<string> {
  const fix = `Choose an existing ${what} file in the profile's SSL settings.`;
  const tooBig = () => new LifeboatError('INVALID_INPUT', `The ${what} file ${file} is over ${MAX_SSL_FILE_BYTES / 1024 / 1024} MiB: not a certificate or key.`, fix);
  try {
    return (await readSmallUserFile(file, MAX_SSL_FILE_BYTES, tooBig)).toString('utf8');
  } catch (error) {
    if (!(error instanceof LifeboatError) || error.code === 'INVALID_INPUT') throw error;
    const reason = (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new LifeboatError('INVALID_INPUT', `The ${what} file ${file} ${reason}.`, fix, { cause: error });
  }
}

function shouldTryNextSslMode(error: unknown, triedSsl: boolean): boolean {
  const message = error instanceof Error ? error.message : '';
  if (triedSsl) return /does not support SSL/i.test(message);
  return /no encryption|SSL off/i.test(message);
}

/** Maps driver and server errors to one sentence naming the problem and one naming the fix. */
export function explainConnectError(error: unknown, profile: Pick<Profile, 'host' | 'port' | 'user' | 'database' | 'sslmode'>, hadPassword: boolean): LifeboatError {
  if (error instanceof LifeboatError) return error;
  const err = error as NodeJS.ErrnoException & { code?: string; message?: string };
  const code = err?.code ?? '';
  const message = err?.message ?? String(error);
  const where = `${profile.host}:${profile.port}`;
  const cause = { cause: error };
  if (code === '28P01' || /password authentication failed/i.test(message)) {
    return hadPassword
      ? new LifeboatError('AUTH_FAILED', `Wrong password for user "${profile.user}" on ${where}.`, 'Edit the profile and enter the correct password.', cause)
      : new LifeboatError('PASSWORD_MISSING', `The server at ${where} asks for a password for "${profile.user}", and none is saved for this profile.`, 'Edit the profile and enter the password.', cause);
  }
  if (/client password must be a string|SCRAM-SERVER-FIRST-MESSAGE/i.test(message)) {
    return new LifeboatError('PASSWORD_MISSING', `The server at ${where} asks for a password for "${profile.user}", and none is saved for this profile.`, 'Edit the profile and enter the password.', cause);
  }
  if (code === '28000' && /no encryption|SSL off/i.test(message)) {
    return new LifeboatError('SSL_REQUIRED', `The server at ${where} only accepts SSL connections, and the profile's SSL mode is "${profile.sslmode}".`, 'Set the SSL mode to "require" (or "verify-full" with the server\'s CA certificate) and test again.', cause);
  }
  if (code === '28000') {
    return new LifeboatError('ACCESS_DENIED', `The server at ${where} refused user "${profile.user}" for database "${profile.database}": ${firstLine(message)}`, 'Ask the server\'s administrator to allow this user and address in pg_hba.conf.', cause);
  }
  if (code === '3D000') {
    return new LifeboatError('DATABASE_NOT_FOUND', `Database "${profile.database}" does not exist on ${where}.`, 'Check the database name in the profile (the list of databases is in psql\'s \\l).', cause);
  }
  if (code === 'ECONNREFUSED') {
    return new LifeboatError('HOST_UNREACHABLE', `Nothing accepts connections at ${where} (connection refused).`, `Check that PostgreSQL is running on ${profile.host}, listens on port ${profile.port} (listen_addresses, port) and that no firewall blocks it.`, cause);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new LifeboatError('HOST_NOT_FOUND', `The host name "${profile.host}" could not be resolved.`, 'Check the spelling of the host, or use its IP address.', cause);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT' || /timeout/i.test(message)) {
    return new LifeboatError('CONNECT_TIMEOUT', `No answer from ${where} within ${CONNECT_TIMEOUT_MS / 1000} s.`, `Check the host and port, your network or VPN, and firewalls between this computer and ${profile.host}.`, cause);
  }
  if (/does not support SSL/i.test(message)) {
    return new LifeboatError('SSL_UNSUPPORTED', `The server at ${where} does not support SSL, and the profile's SSL mode "${profile.sslmode}" requires it.`, 'Enable SSL on the server, or set the SSL mode to "prefer" on a trusted network.', cause);
  }
  if (/certificate|self.signed|altname|UNABLE_TO_VERIFY/i.test(message) || /CERT|ALTNAME/.test(code)) {
    return new LifeboatError('SSL_CERTIFICATE', `The server certificate of ${where} could not be verified: ${firstLine(message)}`, 'Choose the CA certificate that signed the server\'s certificate, or use SSL mode "require" to encrypt without verifying.', cause);
  }
  return new LifeboatError('CONNECTION_FAILED', `Could not connect to ${where}: ${firstLine(message)}`, 'Check the profile\'s host, port, database, user and SSL settings.', cause);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
