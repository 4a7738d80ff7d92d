import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makePrivateTemp } from '../jobs/private-temp.ts';
import type { Profile } from '../types.ts';

export interface LibpqEnvironment {
  env: NodeJS.ProcessEnv;
  dispose(): Promise<void>;
}

/**
 * Environment for pg_dump/pg_restore/psql children: connection settings as PG* variables and the
 * password in a 0600 passfile inside a private temp folder — never in argv (visible to every
 * user through ps) and never in the environment (visible through ps e / /proc/PID/environ).
 */
export async function libpqEnvironment(profile: Profile, password: string | null, database = profile.database): Promise<LibpqEnvironment> {
  const env: NodeJS.ProcessEnv = {};
  // Start from a clean slate: inherited PG* variables must not redirect or reconfigure the tools.
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PG')) env[key] = value;
  Object.assign(env, {
    PGHOST: profile.host,
    PGPORT: String(profile.port),
    PGUSER: profile.user,
    PGDATABASE: database,
    PGSSLMODE: profile.sslmode,
    PGAPPNAME: 'Lifeboat',
    PGCONNECT_TIMEOUT: '10',
    LC_MESSAGES: 'C',
  });
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
