import type { parseArgs } from 'node:util';
import type { Engine } from '../engine/index.ts';
import type { Output } from './cli-output.ts';

export const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  'pg-bin': { type: 'string' },
  url: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  color: { type: 'string' },
  sslmode: { type: 'string' },
  name: { type: 'string' },
  pgpass: { type: 'string' },
  env: { type: 'boolean' },
  profile: { type: 'string' },
  database: { type: 'string' },
  out: { type: 'string' },
  to: { type: 'string' },
  recipient: { type: 'string', multiple: true },
  'passphrase-env': { type: 'string' },
  identity: { type: 'string', multiple: true },
  'no-encrypt': { type: 'boolean' },
  'no-row-counts': { type: 'boolean' },
  full: { type: 'boolean' },
  yes: { type: 'boolean' },
  into: { type: 'string' },
  replace: { type: 'string' },
  'data-only': { type: 'string' },
  tables: { type: 'string' },
  jobs: { type: 'string' },
  'no-owner': { type: 'boolean' },
  'no-privileges': { type: 'boolean' },
  'keep-owners': { type: 'boolean' },
  'create-roles': { type: 'boolean' },
  'keep-role-attributes': { type: 'string', multiple: true },
  'no-safety-backup': { type: 'boolean' },
  trust: { type: 'string' },
  scratch: { type: 'string' },
  'scratch-profile': { type: 'string' },
  keep: { type: 'boolean' },
  report: { type: 'string' },
  daily: { type: 'string' },
  hourly: { type: 'boolean' },
  weekly: { type: 'string' },
  monthly: { type: 'string' },
  cron: { type: 'string' },
  drill: { type: 'string' },
  'drill-from': { type: 'string' },
  'drill-after-backup': { type: 'boolean' },
  'no-drill-after-backup': { type: 'boolean' },
  'auto-prune': { type: 'boolean' },
  webhook: { type: 'string' },
  'webhook-stdin': { type: 'boolean' },
  'no-webhook': { type: 'boolean' },
  'stale-hours': { type: 'string' },
  'notify-success': { type: 'boolean' },
  disable: { type: 'boolean' },
  'keep-last': { type: 'string' },
  'keep-daily': { type: 'string' },
  'keep-weekly': { type: 'string' },
  'keep-monthly': { type: 'string' },
  'keep-yearly': { type: 'string' },
  'keep-minimum': { type: 'string' },
  'dry-run': { type: 'boolean' },
  what: { type: 'string' },
  limit: { type: 'string' },
  ssh: { type: 'string' },
  'ssh-key': { type: 'string' },
  'ssh-agent': { type: 'boolean' },
  'ssh-password-env': { type: 'string' },
  'ssh-jump': { type: 'string', multiple: true },
  'ssh-config': { type: 'string' },
  'accept-host-key': { type: 'string', multiple: true },
  s3: { type: 'string' },
  sftp: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  'path-style': { type: 'boolean' },
  'access-key-id': { type: 'string' },
  'secret-key-env': { type: 'string' },
  'object-lock-days': { type: 'string' },
  'storage-class': { type: 'string' },
  'no-part-checksums': { type: 'boolean' },
  destination: { type: 'string' },
  'bandwidth-limit': { type: 'string' },
  'all-databases': { type: 'boolean' },
  databases: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  'include-postgres': { type: 'boolean' },
  'include-templates': { type: 'boolean' },
  'one-database': { type: 'boolean' },
  all: { type: 'boolean' },
  rename: { type: 'string', multiple: true },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/** The script that started the CLI (what an OS job runs again) and whether it runs the bundle or the sources. */
export interface CliEntry {
  bin: string;
  from: 'bundle' | 'sources';
}

export interface Command {
  usage: string;
  summary: string;
  options: (keyof typeof OPTIONS)[];
  /** Work the command will need, started before the engine is made: it then runs on the other core meanwhile. Never throws (a head start only). */
  warmUp?: () => void;
  run(ctx: { engine: Engine; out: Output; args: string[]; values: Values; entry: CliEntry }): Promise<void>;
}
