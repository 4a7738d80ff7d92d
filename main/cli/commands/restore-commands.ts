import path from 'node:path';
import { LifeboatError } from '../../engine/errors.ts';
import type { Inspection } from '../../engine/restore/restore-inspect.ts';
import type { RestoreRequest } from '../../engine/restore/restore-service.ts';
import type { PrivilegedRoleAttribute } from '../../engine/restore/role-definitions.ts';
import type { Command, Values } from '../cli-command.ts';
import { visibleText as v } from '../../engine/name-text.ts';
import { formatBytes, table, UsageError } from '../cli-output.ts';
import { decryptionKeys, encryptionChoice, requireFile } from './archive-commands.ts';
import { withArchiveFile } from './destination-commands.ts';
import { runWithProgress } from '../job-progress.ts';
import { RUN_RECORD_EXTENSION } from '../../engine/server-run/run-record.ts';
import { preflightRun, restoreRun, RUN_RESTORE_OPTIONS } from './run-restore-commands.ts';
import { describeItems } from './checklist-text.ts';

export const RESTORE_COMMANDS: Record<string, Command> = {
  inspect: {
    usage: 'inspect FILE|DIR|DEST:ARCHIVE [--identity KEYFILE]… [--passphrase-env VAR] [--json]',
    summary: 'what a backup file is and holds (any kind Lifeboat restores), detected by content',
    options: ['identity', 'passphrase-env', 'pg-bin'],
    async run({ engine, out, args, values }) {
      await withArchiveFile(engine, out, requireFile(args[0]), async (file) => {
        const inspection = await engine.restores.inspect(file, await decryptionKeys(values));
        if (inspection.problem) throw new LifeboatError(inspection.problem.code, inspection.problem.message, inspection.problem.fix);
        out.result(inspection, () => describeInspection(inspection));
      });
    },
  },
  preflight: {
    usage: 'preflight FILE --profile P (--into NEWDB | --replace DB | --data-only DB --tables s.t,…) [restore options] [--json]',
    summary: 'the safety checklist for a restore, without changing anything',
    options: ['profile', 'into', 'replace', 'data-only', 'tables', 'no-owner', 'no-privileges', 'keep-owners', 'create-roles', 'keep-role-attributes', 'no-safety-backup', 'yes', 'trust', 'identity', 'passphrase-env', 'pg-bin', ...RUN_RESTORE_OPTIONS],
    async run({ engine, out, args, values }) {
      if (args[0]?.endsWith(RUN_RECORD_EXTENSION)) return preflightRun(engine, out, args[0], values);
      const request = await restoreRequest(args, values);
      const preflight = await engine.restores.preflight(request);
      out.result(preflight, () => `${describeInspection(preflight.inspection)}\n\nTarget: ${v(preflight.target.profile)} (PostgreSQL ${v(preflight.target.serverVersion)}), database "${v(preflight.target.database)}"\n${describeItems(preflight.items)}\n\n${preflight.ok ? 'Ready to restore.' : 'Blocked: resolve the ✗ items first.'}`);
      if (!preflight.ok) process.exitCode = 1;
    },
  },
  restore: {
    usage: 'restore RUN.lifeboat-run.json --profile P (--all | --databases A,B) [--rename A=NEWNAME]… [--create-roles] [--no-owner] [--no-privileges] [--jobs N] [--identity KEYFILE] [--json] | restore FILE|DEST:ARCHIVE --profile P (--into NEWDB | --replace DB --yes | --data-only DB --tables s.t,…) [--tables s.t,…] [--jobs N] [--no-owner] [--no-privileges] [--keep-owners] [--create-roles [--keep-role-attributes ROLE=superuser,createdb]…] [--no-safety-backup] [--trust "I trust where this file came from"] [--identity KEYFILE | --passphrase-env VAR] [--json]',
    summary: 'restore into a new database (default), replace one by a verified swap, or bring back rows of chosen tables',
    options: ['profile', 'into', 'replace', 'data-only', 'tables', 'jobs', 'no-owner', 'no-privileges', 'keep-owners', 'create-roles', 'keep-role-attributes', 'no-safety-backup', 'yes', 'trust', 'identity', 'passphrase-env', 'recipient', 'pg-bin', ...RUN_RESTORE_OPTIONS],
    async run({ engine, out, args, values }) {
      if (args[0]?.endsWith(RUN_RECORD_EXTENSION)) return restoreRun(engine, out, args[0], values);
      const result = await withArchiveFile(engine, out, requireFile(args[0]), async (file) => {
        const request = await restoreRequest([file, ...args.slice(1)], values);
        if (values.recipient?.length) request.safetyBackupEncryption = encryptionChoice({ recipient: values.recipient });
        return runWithProgress(engine.restores.start(request), out);
      });
      out.result(result, () => [
        `Restored ${v(result.source)} into "${v(result.database)}" in ${(result.durationMs / 1000).toFixed(1)} s.`,
        `Verified: ${v(result.verification.note)}`,
        ...result.tolerated.map((t) => `Tolerated: ${v(t)}.`),
        ...(result.createdRoles.length ? [`Created roles (no passwords): ${result.createdRoles.map(v).join(', ')}`] : []),
        ...(result.leastPrivilege ? [`Ran as a temporary role without superuser rights (a file this Lifeboat did not make)${result.leastPrivilege.standInFor.length ? `; objects it gave to ${result.leastPrivilege.standInFor.map(v).join(', ')} belong to lifeboat_restored` : ''}.`] : []),
        ...(result.safetyBackup ? [`Safety backup: ${v(result.safetyBackup.archive)}`] : []),
        ...(result.keptDatabase ? [`The previous database is kept as "${v(result.keptDatabase)}"${result.endedSessions ? ` (${result.endedSessions} session(s) were ended)` : ''}. Drop it when you no longer need it: lifeboat drop-kept --profile ${v(values.profile!)} ${v(result.keptDatabase)}`] : []),
      ].join('\n'));
    },
  },
  'drop-kept': {
    usage: 'drop-kept --profile P NAME_before_restore_STAMP [--json]',
    summary: 'drop the copy a replace kept',
    options: ['profile'],
    async run({ engine, out, args, values }) {
      if (!values.profile) throw new UsageError('drop-kept needs --profile P');
      const name = args[0];
      if (!name) throw new UsageError('missing the kept database name');
      await engine.restores.dropKeptCopy(values.profile, name);
      out.result({ dropped: name }, () => `Dropped "${v(name)}".`);
    },
  },
};

async function restoreRequest(args: string[], values: Values): Promise<RestoreRequest> {
  const file = path.resolve(requireFile(args[0]));
  if (!values.profile) throw new UsageError('needs --profile P (the server to restore to)');
  const modes = [values.into !== undefined, values.replace !== undefined, values['data-only'] !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('choose exactly one of --into NEWDB, --replace DB or --data-only DB');
  const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) throw new UsageError('--jobs takes a number from 1 to 16');
  const mode = values.into !== undefined ? 'new' : values.replace !== undefined ? 'replace' : 'data-only';
  const database = (values.into ?? values.replace ?? values['data-only'])!;
  if (mode === 'replace' && !values.yes) throw new UsageError(`--replace ${database} changes an existing database: add --yes to confirm`);
  return {
    file,
    profile: values.profile,
    mode,
    database,
    ...(values.tables ? { tables: values.tables.split(',').map((t) => (t.includes('.') ? t.trim() : `public.${t.trim()}`)) } : {}),
    noOwner: values['no-owner'] ?? false,
    noPrivileges: values['no-privileges'] ?? false,
    ...(values['keep-owners'] ? { keepOwners: true } : {}),
    createMissingRoles: values['create-roles'] ?? false,
    ...(values['keep-role-attributes']?.length ? { privilegedRoleAttributes: keptRoleAttributes(values['keep-role-attributes']) } : {}),
    safetyBackup: !values['no-safety-backup'],
    jobs,
    ...(mode === 'replace' ? { confirm: database } : {}),
    // Typed, not a flag: the same words the app asks for (checked by the engine, recorded in the activity log).
    ...(values.trust !== undefined ? { trust: values.trust } : {}),
    keys: await decryptionKeys(values),
  };
}

/**
 * --keep-role-attributes ROLE=superuser,createdb (repeatable): privileged attributes the archive gives
 * a role that --create-roles keeps (the engine checks role names and attributes). The last "=" splits,
 * as attributes have none and role names may.
 */
function keptRoleAttributes(specs: readonly string[]): Record<string, PrivilegedRoleAttribute[]> {
  const kept: Record<string, PrivilegedRoleAttribute[]> = {};
  for (const spec of specs) {
    const at = spec.lastIndexOf('=');
    if (at <= 0) throw new UsageError(`--keep-role-attributes takes ROLE=ATTRIBUTE[,ATTRIBUTE…], not "${v(spec)}"`);
    kept[spec.slice(0, at)] = [...(kept[spec.slice(0, at)] ?? []), ...spec.slice(at + 1).split(',').map((a) => a.trim().toLowerCase() as PrivilegedRoleAttribute).filter(Boolean)];
  }
  return kept;
}

/** Names in these lines come from the file: each is escaped on its own, so a line break in one cannot fake a line. */
function describeInspection(i: Inspection): string {
  return [
    `${v(i.path)}`,
    `Kind:        ${v(i.label)}`,
    `Size:        ${formatBytes(i.size)}${i.encryption ? `, encrypted (${i.encryption})` : ''}`,
    `Source:      ${i.sourceDatabase ? `database "${v(i.sourceDatabase)}", ` : ''}PostgreSQL ${v(i.sourceServerVersion ?? 'unknown')}${i.dumpedBy ? `, pg_dump ${v(i.dumpedBy)}` : ''}`,
    ...(i.createdAt ? [`Created:     ${v(i.createdAt)}`] : []),
    ...(i.extensions.length ? [`Extensions:  ${i.extensions.map(v).join(', ')}`] : []),
    ...(i.roles.length ? [`Roles:       ${i.roles.map(v).join(', ')}`] : []),
    '',
    i.tables.length ? table([['TABLE', 'ROWS'], ...i.tables.map((t) => [`${t.schema}.${t.name}`, t.rows === null ? '—' : String(t.rows)])]) : '(no tables listed)',
  ].join('\n');
}
