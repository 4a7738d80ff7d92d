import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import { makePrivateTemp } from '../jobs/private-temp.ts';
import { TUNNEL_HOSTADDR, type ConnectTarget } from '../tunnel/connect-target.ts';

export interface LibpqEnvironment {
  env: NodeJS.ProcessEnv;
  dispose(): Promise<void>;
}

/**
 * A database name as a conninfo string (`dbname='…'`), for the options where PostgreSQL's tools take
 * a connection string: pg_restore --dbname and pg_dumpall --database hand their value to
 * PQconnectdbParams with expand_dbname, and libpq treats any value that contains "=" or starts with
 * postgres:// / postgresql:// as a connection string — a database named `x dbname=postgres` would
 * restore into postgres, and one named postgresql://elsewhere/… would connect (and send the
 * passfile's password) to another server. A quoted conninfo value is never expanded further: it is
 * always exactly this name. Quoting as libpq's appendConnStrVal does: inside single quotes, a
 * backslash and a single quote are backslash-escaped. (PGDATABASE is not expanded: libpq reads
 * environment defaults only after the dbname expansion, in conninfo_add_defaults.)
 */
export function dbnameConninfo(database: string): string {
  if (database.includes('\0')) throw new LifeboatError('INVALID_INPUT', 'A database name cannot contain a NUL byte.', 'Choose another database name.');
  return `dbname='${database.replace(/['\\]/g, (c) => `\\${c}`)}'`;
}

/**
 * Environment for pg_dump/pg_restore/psql children: connection settings as PG* variables and the
 * password in a 0600 passfile inside a private temp folder — never in argv (visible to every
 * user through ps) and never in the environment (visible through ps e / /proc/PID/environ).
 */
export async function libpqEnvironment(profile: ConnectTarget, password: string | null, database = profile.database): Promise<LibpqEnvironment> {
  const env: NodeJS.ProcessEnv = {};
  // Start from a clean slate: inherited PG* variables must not redirect or reconfigure the tools.
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PG')) env[key] = value;
  Object.assign(env, {
    PGHOST: profile.host,
    PGPORT: String(profile.tunnel?.port ?? profile.port),
    PGUSER: profile.user,
    PGDATABASE: database, // a name as it is: libpq never expands PGDATABASE as a connection string
    PGSSLMODE: profile.sslmode,
    PGAPPNAME: 'Lifeboat',
    PGCONNECT_TIMEOUT: '10',
    LC_MESSAGES: 'C',
  });
  // Through a tunnel: the socket goes to its local end, while libpq checks a verify-full certificate
  // against PGHOST, the database's real name.
  if (profile.tunnel) env.PGHOSTADDR = TUNNEL_HOSTADDR;
  if (profile.sslRootCert) env.PGSSLROOTCERT = profile.sslRootCert;
  if (profile.sslCert) env.PGSSLCERT = profile.sslCert;
  if (profile.sslKey) env.PGSSLKEY = profile.sslKey;
  let dir: string | null = null;
  if (password !== null) {
    dir = await makePrivateTemp('pass');
    const file = path.join(dir, 'pgpass');
    await writeFile(file, `*:*:*:*:${password.replaceAll('\\', '\\\\').replaceAll(':', '\\:')}\n`, { mode: 0o600 });
    env.PGPASSFILE = file;
  } else {
    env.PGPASSFILE = os.devNull;
  }
  return {
    env,
    async dispose() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
