import os from 'node:os';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import { SSL_MODES, type ProfileFields, type SslMode } from '../types.ts';

/** A profile found in a URI, a ~/.pgpass line or PG* variables, with its password (engine-only). */
export interface ParsedConnection {
  fields: ProfileFields;
  password: string | null;
  source: string;
}

const DEFAULT_PORT = 5432;

/** postgres://user:pass@host:port/db?sslmode=require — also postgresql:// and query-string overrides. */
export function parseConnectionUri(uri: string, name?: string): ParsedConnection {
  let url: URL;
  try {
    url = new URL(uri.trim());
  } catch {
    throw new LifeboatError('INVALID_INPUT', 'That is not a valid connection URI.', 'Use the form postgres://user@host:5432/database (the password is asked separately).');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new LifeboatError('INVALID_INPUT', `A connection URI starts with postgres:// or postgresql://, not ${url.protocol}//.`, 'Use the form postgres://user@host:5432/database.');
  }
  const params = url.searchParams;
  const user = params.get('user') ?? decodeURIComponent(url.username);
  const host = params.get('host') ?? decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1');
  const port = Number(params.get('port') ?? (url.port || DEFAULT_PORT));
  const database = params.get('dbname') ?? decodeURIComponent(url.pathname.replace(/^\//, ''));
  const password = params.get('password') ?? (url.password ? decodeURIComponent(url.password) : null);
  if (!user) throw new LifeboatError('INVALID_INPUT', 'The connection URI names no user.', 'Add the user before the host: postgres://USER@host/database.');
  const fields: ProfileFields = {
    name: name ?? `${user}@${host || 'localhost'}/${database || user}`,
    host: host || 'localhost',
    port,
    database: database || user,
    user,
    sslmode: parseSslMode(params.get('sslmode')) ?? 'prefer',
    color: 'blue',
  };
  const rootCert = params.get('sslrootcert');
  const cert = params.get('sslcert');
  const key = params.get('sslkey');
  if (rootCert) fields.sslRootCert = rootCert;
  if (cert) fields.sslCert = cert;
  if (key) fields.sslKey = key;
  return { fields, password, source: 'connection URI' };
}

function parseSslMode(value: string | null | undefined): SslMode | null {
  if (!value) return null;
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  throw new LifeboatError('INVALID_INPUT', `sslmode "${value}" is not one of ${SSL_MODES.join(', ')}.`, 'Fix the sslmode value.');
}

export interface PgpassEntry {
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
  line: number;
}

/** Parses the ~/.pgpass format: host:port:database:user:password with \: and \\ escapes. */
export function parsePgpass(text: string): PgpassEntry[] {
  const entries: PgpassEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (!raw.trim() || raw.trimStart().startsWith('#')) return;
    const fields: string[] = [];
    let current = '';
    for (let i = 0; i < raw.length; i++) {
      const char = raw[i]!;
      if (char === '\\' && i + 1 < raw.length) {
        current += raw[++i];
      } else if (char === ':' && fields.length < 4) {
        fields.push(current);
        current = '';
      } else {
        current += char;
      }
    }
    fields.push(current);
    if (fields.length !== 5) return;
    const [host, port, database, user, password] = fields as [string, string, string, string, string];
    entries.push({ host, port, database, user, password, line: index + 1 });
  });
  return entries;
}

/** Profiles from ~/.pgpass lines; wildcards become sensible defaults (a wildcard host cannot). */
export function connectionsFromPgpass(text: string, file: string): ParsedConnection[] {
  return parsePgpass(text)
    .filter((entry) => entry.host !== '*' && entry.user !== '*')
    .map((entry) => {
      const database = entry.database === '*' ? 'postgres' : entry.database;
      const port = entry.port === '*' ? DEFAULT_PORT : Number(entry.port);
      return {
        fields: { name: `${entry.user}@${entry.host}/${database}`, host: entry.host, port, database, user: entry.user, sslmode: 'prefer', color: 'blue' },
        password: entry.password,
        source: `${file} line ${entry.line}`,
      } satisfies ParsedConnection;
    });
}

/** The password ~/.pgpass gives for a connection, following libpq's first-match rule. */
export function lookupPgpass(entries: PgpassEntry[], fields: Pick<ProfileFields, 'host' | 'port' | 'database' | 'user'>): string | null {
  const match = (pattern: string, value: string) => pattern === '*' || pattern === value;
  const hit = entries.find(
    (entry) => match(entry.host, fields.host) && match(entry.port, String(fields.port)) && match(entry.database, fields.database) && match(entry.user, fields.user),
  );
  return hit?.password ?? null;
}

export function defaultPgpassPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGPASSFILE) return env.PGPASSFILE;
  if (process.platform === 'win32') return path.join(env.APPDATA ?? os.homedir(), 'postgresql', 'pgpass.conf');
  return path.join(os.homedir(), '.pgpass');
}

/** A profile from PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE and the PGSSL* file variables. */
export function connectionFromEnv(env: NodeJS.ProcessEnv, pgpass: PgpassEntry[] = []): ParsedConnection {
  const user = env.PGUSER || env.USER || env.USERNAME;
  if (!env.PGHOST && !env.PGUSER && !env.PGDATABASE) {
    throw new LifeboatError('IMPORT_FAILED', 'None of PGHOST, PGUSER or PGDATABASE is set in the environment.', 'Set them (e.g. PGHOST=db.example.com PGUSER=app PGDATABASE=app) or import from a URI instead.');
  }
  if (!user) throw new LifeboatError('IMPORT_FAILED', 'PGUSER is not set.', 'Set PGUSER to the role to connect as.');
  const host = env.PGHOST || 'localhost';
  const fields: ProfileFields = {
    name: `${user}@${host}/${env.PGDATABASE || user}`,
    host,
    port: Number(env.PGPORT || DEFAULT_PORT),
    database: env.PGDATABASE || user,
    user,
    sslmode: parseSslMode(env.PGSSLMODE) ?? 'prefer',
    color: 'blue',
  };
  if (env.PGSSLROOTCERT) fields.sslRootCert = env.PGSSLROOTCERT;
  if (env.PGSSLCERT) fields.sslCert = env.PGSSLCERT;
  if (env.PGSSLKEY) fields.sslKey = env.PGSSLKEY;
  return { fields, password: env.PGPASSWORD || lookupPgpass(pgpass, fields), source: 'PG* environment variables' };
}
