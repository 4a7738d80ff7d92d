import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import { PROFILE_COLORS, SSL_MODES, type ProfileFields } from '../types.ts';

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
  if (input.canaryQueries?.length) {
    fields.canaryQueries = input.canaryQueries.map((canary, index) => {
      const name = canary.name?.trim() || `canary ${index + 1}`;
      const sql = canary.sql?.trim() ?? '';
      if (!sql) throw invalid(`Canary "${name}" has no SQL.`, 'Write a query that returns one value, e.g. SELECT max(id) FROM orders.');
      if (sql.length > 10_000) throw invalid(`Canary "${name}" is longer than 10,000 characters.`, 'Keep canary queries short.');
      return { name, sql: sql.replace(/;\s*$/, '') };
    });
  }
  if ((sslmode === 'verify-ca' || sslmode === 'verify-full') && !sslRootCert) {
    throw invalid(`SSL mode ${sslmode} needs the server's CA certificate.`, 'Choose the CA certificate file (root.crt) or use SSL mode "require".');
  }
  if (Boolean(sslCert) !== Boolean(sslKey)) throw invalid('A client certificate needs both the certificate and its key file.', 'Choose both files, or neither.');
  return fields;
}

function invalid(message: string, fix: string): LifeboatError {
  return new LifeboatError('INVALID_INPUT', message, fix);
}
