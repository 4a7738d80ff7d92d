// The safety checklist before any database is touched: one function per check, each a pure function
// of facts already gathered (the inspection, the target's state, the user's choices), composed by buildChecklist.
import { formatBytes } from '../format-bytes.ts';
import { stat } from 'node:fs/promises';
import type { ArchiveChecksums } from '../archive/archive-format.ts';
import type { ArchiveAuthenticity } from '../archive/archive-authenticity.ts';
import { sha256File } from '../files/sha256-file.ts';
import { parseToolVersion } from '../pgtools/tool-version.ts';
import type { ErrorInfo, PgTool } from '../types.ts';
import { TRUST_PHRASE } from './unsafe-statements.ts';
import { checkPrivilegedChoice, parseGlobalsRoles, PRIVILEGED_ROLE_ATTRIBUTES, planRoleCreation, type GlobalsRoles } from './role-definitions.ts';
import type { SessionInfo, TargetFacts } from './target-server.ts';
import { STAND_IN_OWNER } from './least-privilege-sql.ts';
import type { Inspection } from './inspection.ts';
import type { CheckItem, CheckStatus, PreflightOptions, RoleChoice } from '../model/restore.ts';
export type { CheckItem, CheckStatus, PreflightOptions, RoleChoice } from '../model/restore.ts';

export interface TargetState {
  facts: TargetFacts;
  exists: boolean;
  owner: string | null;
  sessions: SessionInfo[];
  freeSpace: { bytes: number; where: string } | null;
  pgRestore: PgTool | null;
  pgRestoreError: ErrorInfo | null;
}

/** The checklist: each item ✓ / info / unknown / warning / blocker with a sentence of why and what to do. */
export async function buildChecklist(inspection: Inspection, target: TargetState, options: PreflightOptions): Promise<CheckItem[]> {
  const { facts } = target;
  // The facts that need reading: the file's own sha256 (for its sidecar) and globals.sql's roles.
  const actualSha256 = await sidecarComparand(inspection);
  // Roles. The per-role choice is input from the UI or CLI: refused when malformed, even if no role is created.
  checkPrivilegedChoice(options.privilegedRoleAttributes ?? {});
  const globals = inspection.lifeboat ? globalsRolesOf(inspection.lifeboat) : null;
  const items = [
    trustCheck(inspection, options),
    privilegeCheck(inspection, facts, options),
    ...identityChecks(inspection, actualSha256),
    toolsCheck(target),
    versionsCheck(inspection, target),
    rolesCheck(inspection, facts, options, globals),
    extensionsCheck(inspection, facts),
    spaceCheck(inspection, target.freeSpace),
    createPermissionCheck(facts, options),
    targetCheck(target, options),
    tablesCheck(inspection, options),
    sessionsCheck(target, options),
    safetyBackupCheck(options),
    confirmationCheck(options),
  ];
  return items.filter((item): item is CheckItem => item !== null);
}

export function firstBlocker(items: CheckItem[]): CheckItem | undefined {
  return items.find((i) => i.status === 'blocker');
}

/** Whether statements that reach beyond the new database may run: the user's own archive, or typed trust. */
export function runsTrusted(inspection: Inspection, options: Pick<PreflightOptions, 'trust'>): boolean {
  const author = inspection.lifeboat?.authenticity;
  return author === 'own-key' || author === 'own-passphrase' || options.trust === TRUST_PHRASE;
}

/** Whether this restore runs the file's SQL as a temporary role without superuser rights (least-privilege-restore.ts). */
export function runsRestricted(inspection: Inspection, facts: Pick<TargetFacts, 'superuser'>, options: PreflightOptions): boolean {
  if (options.mode === 'data-only' || !facts.superuser) return false;
  if (!runsTrusted(inspection, options)) return true;
  // Drills: even an own archive, unless it needs a superuser (or the user typed trust).
  return options.leastPrivilege === 'whenever-possible' && options.trust !== TRUST_PHRASE && inspection.unsafe.count === 0;
}

// Trust: statements that reach beyond the database being restored.
export function trustCheck(inspection: Inspection, options: PreflightOptions): CheckItem | null {
  const { statements, count } = inspection.unsafe;
  if (count === 0) return null;
  const listed = `${statements.slice(0, 5).map((s) => `${s.entry ? `entry ${s.entry}` : `line ${s.line}`} ${s.reason} (${s.statement})`).join('; ')}${count > 5 ? `; and ${count - 5} more` : ''}`;
  const many = count === 1 ? '1 statement reaches' : `${count} statements reach`;
  if (options.mode === 'data-only' && options.tables?.length) {
    return { id: 'trust', status: 'info', title: 'Statements beyond the chosen rows', detail: `${many} beyond the database; a rows-only restore runs none of them: ${listed}.` };
  }
  if (runsTrusted(inspection, { trust: undefined })) {
    return { id: 'trust', status: 'info', title: 'Made by this Lifeboat', detail: `${many} beyond the new database, and run with the profile's rights because this archive carries this Lifeboat's own tag: ${listed}.` };
  }
  if (options.trust === TRUST_PHRASE) {
    return { id: 'trust', status: 'warning', title: 'Trusted by you', detail: `${many} beyond the new database and will run with the rights of the profile's role, as you chose (recorded in the activity log): ${listed}.` };
  }
  return {
    id: 'trust', status: 'blocker', title: 'Statements that reach beyond the new database',
    detail: `This file was not made by this Lifeboat, and ${many} beyond the database it restores into — they would run with the rights of the profile's role: ${listed}.`,
    fix: `Restore it only if you trust where it came from: type "${TRUST_PHRASE}" (CLI: --trust "${TRUST_PHRASE}"). Lifeboat records that choice in the activity log.`,
  };
}

/** Privileges: with whose rights a file Lifeboat did not make runs, and who owns what it gives to privileged roles. */
export function privilegeCheck(inspection: Inspection, facts: TargetFacts, options: PreflightOptions): CheckItem | null {
  if (options.mode === 'data-only' || runsTrusted(inspection, { trust: undefined })) return null;
  if (options.trust === TRUST_PHRASE) {
    // With statements beyond the database the trust item says it already.
    return inspection.unsafe.count ? null : { id: 'privileges', status: 'warning', title: 'Trusted by you', detail: `This file was not made by this Lifeboat and runs with the rights of ${facts.currentUser}, as you chose (recorded in the activity log).` };
  }
  if (!facts.superuser) {
    if (!facts.privilegedRoles.has(facts.currentUser)) return { id: 'privileges', status: 'info', title: 'Least privilege', detail: `This file was not made by this Lifeboat; it runs with the rights of ${facts.currentUser}, which is not a superuser.` };
    return {
      id: 'privileges', status: 'blocker', title: 'The profile\'s role reaches beyond one database',
      detail: `This file was not made by this Lifeboat, and ${facts.currentUser} may create roles, replicate, bypass row security or read files and run programs on the server; Lifeboat runs strangers' files only with a role that cannot.`,
      fix: `Use a superuser profile (Lifeboat then restores with a temporary role without those rights) or a role without them, or type "${TRUST_PHRASE}" if you trust where the file came from.`,
    };
  }
  return {
    id: 'privileges', status: 'info', title: 'Least privilege',
    detail: `This file was not made by this Lifeboat: its SQL runs as a temporary role that is not a superuser, belongs to no other role and owns only the new database, so it cannot run programs, read files or change anything outside that database. ${ownersSentence(inspection, facts, options)}`,
    ...(inspection.owners.length && !options.noOwner ? { fix: `Type "${TRUST_PHRASE}" to restore it with the profile's rights and every owner it names.` } : {}),
  };
}

/**
 * Who will own a stranger's objects. By default the stand-in: code of the file that something later
 * runs as its owner (autovacuum analysing an index, a SECURITY DEFINER function) then has no rights.
 * Owners the file names are kept only when chosen, and only roles that cannot log in and have none.
 */
function ownersSentence(inspection: Inspection, facts: TargetFacts, options: PreflightOptions): string {
  const named = inspection.owners.filter((o) => facts.roles.has(o));
  if (options.noOwner || named.length === 0) return `Its objects will belong to ${STAND_IN_OWNER}, a role without rights.`;
  const keepable = named.filter((o) => !facts.privilegedRoles.has(o) && !facts.loginRoles.has(o) && !o.startsWith('pg_'));
  if (!options.keepOwners) {
    return `Its objects will belong to ${STAND_IN_OWNER}, a role without rights, not to the roles it names (${named.join(', ')}): their code would run with those roles' rights.${keepable.length ? ` Choose "keep the file's owners" to give them to ${keepable.join(', ')}.` : ''}`;
  }
  const standIn = named.filter((o) => !keepable.includes(o));
  return `Objects it gives to ${keepable.length ? keepable.join(', ') : 'no role it names'} keep that owner, as you chose: their code runs with that role's rights.${standIn.length ? ` What it gives to ${standIn.join(', ')} (roles that can log in or have rights beyond one database) belongs to ${STAND_IN_OWNER}.` : ''}`;
}

/**
 * Identity and integrity. actualSha256: the file's sha256, read only for a fully checked Lifeboat
 * archive that has a sidecar (sidecarComparand); null otherwise.
 */
export function identityChecks(inspection: Inspection, actualSha256: string | null): CheckItem[] {
  const { lifeboat } = inspection;
  if (inspection.problem) {
    return [{ id: 'identity', status: 'blocker', title: 'The file cannot be used', detail: inspection.problem.message, ...(inspection.problem.fix ? { fix: inspection.problem.fix } : {}) }];
  }
  if (lifeboat && !lifeboat.checksums) {
    const author = lifeboat.authenticity === 'own-key' || lifeboat.authenticity === 'own-passphrase' ? ` ${authorSentence(lifeboat.authenticity)}` : '';
    return [{ id: 'identity', status: 'ok', title: 'Archive identity', detail: `Lifeboat archive of "${inspection.sourceDatabase}"; its checksums are verified while it is restored.${author}` }];
  }
  if (lifeboat?.checksums) return [integrityCheck(inspection, lifeboat, lifeboat.checksums, actualSha256)];
  if (inspection.sql) return sqlScriptChecks(inspection, inspection.sql);
  if (inspection.toc) {
    return [{ id: 'identity', status: 'ok', title: 'Archive readable', detail: `${inspection.label}: pg_restore reads its table of contents (${inspection.toc.entries.length} entries).` }];
  }
  return [];
}

/** A fully read Lifeboat archive: its checksums, its sidecar's whole-file sha256, and who made it. */
function integrityCheck(inspection: Inspection, lifeboat: NonNullable<Inspection['lifeboat']>, checksums: ArchiveChecksums, actualSha256: string | null): CheckItem {
  const { sidecar } = lifeboat;
  let detail = `Lifeboat archive of "${inspection.sourceDatabase}"; decrypted and checked: the dump's sha256 matches checksums.json (${checksums.dump.parts} part(s)).`;
  let status: CheckStatus = 'ok';
  if (sidecar) {
    if (actualSha256 !== sidecar.sha256) {
      return { id: 'identity', status: 'blocker', title: 'The archive changed since it was written', detail: 'Its sha256 differs from the one in its sidecar.', fix: 'Use another copy of this backup.' };
    }
    detail += ' The file\'s sha256 matches its sidecar.';
  } else {
    status = 'info';
    detail += ' It has no sidecar (.json), so the whole-file checksum cannot be compared.';
  }
  const author = authorSentence(lifeboat.authenticity);
  if (author) detail += ` ${author}`;
  if (lifeboat.authenticity === 'mismatch' && status === 'ok') status = 'info';
  return { id: 'identity', status, title: 'Archive identity and integrity', detail };
}

/** A plain SQL script: scanned, and refused when it creates or switches databases itself. */
function sqlScriptChecks(inspection: Inspection, sql: NonNullable<Inspection['sql']>): CheckItem[] {
  const items: CheckItem[] = [{ id: 'identity', status: 'ok', title: 'SQL script scanned', detail: `${inspection.label}: ${sql.lines} lines, no psql commands other than those pg_dump writes.` }];
  if (sql.connects.length || sql.createsDatabase) {
    items.push({ id: 'identity', status: 'blocker', title: 'The script creates or switches databases itself', detail: `It contains ${sql.createsDatabase ? 'CREATE DATABASE' : ''}${sql.createsDatabase && sql.connects.length ? ' and ' : ''}${sql.connects.length ? `\\connect ${sql.connects.join(', ')}` : ''}, so it would not restore into the database you choose.`, fix: 'Use a dump made by pg_dump without -C (not pg_dumpall), or remove those lines.' });
  }
  return items;
}

/** Who made a fully read Lifeboat archive, for the identity item: only a tag of the keys at hand makes it "own". */
function authorSentence(authenticity: ArchiveAuthenticity | null): string {
  switch (authenticity) {
    case 'own-key': return "Made by this Lifeboat's key.";
    case 'own-passphrase': return "Made by someone who knows this Lifeboat's backup passphrase.";
    case 'mismatch': return "Not made by this Lifeboat: restored as a stranger's file (its authenticity tag does not verify with this Lifeboat's keys: another Lifeboat made it, or it was changed).";
    case 'none': return "Not made by this Lifeboat: restored as a stranger's file (it carries no authenticity tag, like any archive made elsewhere or by an older Lifeboat).";
    default: return '';
  }
}

// Tools: a pg_restore that can read the dump.
export function toolsCheck(target: Pick<TargetState, 'pgRestoreError'>): CheckItem | null {
  if (!target.pgRestoreError) return null;
  return { id: 'tools', status: 'blocker', title: 'No suitable pg_restore', detail: target.pgRestoreError.message, ...(target.pgRestoreError.fix ? { fix: target.pgRestoreError.fix } : {}) };
}

// Versions. Unknown when the file does not say which server it came from: never passed unseen.
export function versionsCheck(inspection: Inspection, target: Pick<TargetState, 'facts' | 'pgRestore'>): CheckItem {
  const { facts } = target;
  const sourceMajor = inspection.sourceServerVersion ? parseToolVersion(`(PostgreSQL) ${inspection.sourceServerVersion}`)?.major ?? null : null;
  const newerDump = (inspection.dumpMajor ?? sourceMajor ?? 0) > facts.serverMajor;
  const versions = `Source: PostgreSQL ${inspection.sourceServerVersion ?? 'unknown'}${inspection.dumpedBy ? `, written by pg_dump ${inspection.dumpedBy}` : ''}; target: PostgreSQL ${facts.serverVersion}${target.pgRestore ? `; pg_restore ${target.pgRestore.version}` : ''}.`;
  if (newerDump) {
    return { id: 'versions', status: 'warning', title: 'Versions', detail: `${versions} The dump is newer than the target: settings the target does not know (such as transaction_timeout) are skipped and reported; any other error stops the restore and removes what it created.` };
  }
  if (inspection.sourceServerVersion === null) {
    return {
      id: 'versions', status: 'unknown', title: 'Source version unknown',
      detail: `${versions} The file does not say which PostgreSQL it came from (a plain SQL script without pg_dump's header, for example), so Lifeboat cannot tell whether PostgreSQL ${facts.serverVersion} understands everything in it.`,
      fix: `Restore it if it came from PostgreSQL ${facts.serverMajor} or older. If it came from a newer one, a statement the target does not know stops the restore, and Lifeboat removes what it created.`,
    };
  }
  return { id: 'versions', status: 'ok', title: 'Versions', detail: versions };
}

// Roles. globals: the archive's globals.sql role definitions (globalsRolesOf), null for other files.
export function rolesCheck(inspection: Inspection, facts: TargetFacts, options: PreflightOptions, globals: GlobalsRoles | null): CheckItem {
  const missingRoles = inspection.roles.filter((r) => !facts.roles.has(r));
  const globalsRoles = globals ? [...globals.roles.keys()] : [];
  if (missingRoles.length === 0) {
    return { id: 'roles', status: 'ok', title: 'Roles', detail: inspection.roles.length ? `Every role the archive uses exists on the target (${inspection.roles.slice(0, 8).join(', ')}${inspection.roles.length > 8 ? ', …' : ''}).` : 'The archive names no roles.' };
  }
  if (options.createMissingRoles && globals && missingRoles.every((r) => globalsRoles.includes(r))) {
    return rolesToCreate(globals, missingRoles, options);
  }
  if (options.noOwner) {
    return { id: 'roles', status: options.noPrivileges ? 'ok' : 'warning', title: 'Roles', detail: `Missing on the target: ${missingRoles.join(', ')}. Objects will belong to ${runsRestricted(inspection, facts, options) ? STAND_IN_OWNER : facts.currentUser}${options.noPrivileges ? ' and privileges are not restored' : '; GRANTs to missing roles would still fail'}.`, ...(options.noPrivileges ? {} : { fix: 'Also choose "no privileges".' }) };
  }
  const canCreate = missingRoles.every((r) => globalsRoles.includes(r));
  return {
    id: 'roles',
    status: 'blocker',
    title: 'Roles missing on the target',
    detail: `The archive uses roles the target lacks: ${missingRoles.join(', ')}.`,
    fix: canCreate ? 'Create them from the archive\'s globals.sql (without passwords), or restore with "no owner" and "no privileges".' : 'Create them on the target first, or restore with "no owner" and "no privileges".',
  };
}

/** The roles item when missing roles will be created: what each gets, and what the archive gives it that is left out. */
function rolesToCreate(globals: GlobalsRoles, missing: string[], options: PreflightOptions): CheckItem {
  const chosen = options.privilegedRoleAttributes ?? {};
  const { creations } = planRoleCreation(globals, missing, chosen);
  const kept = creations.filter((c) => c.privileged.length);
  const leftOut = creations.filter((c) => c.leftOut.length);
  const ignored = Object.keys(chosen).filter((name) => chosen[name]!.length && !creations.some((c) => c.name === name));
  const detail = [
    `Will create ${creations.map((c) => c.name).join(', ')} from the archive's globals.sql, without passwords: each gets only LOGIN or NOLOGIN, INHERIT and CONNECTION LIMIT as recorded.`,
    ...(leftOut.length ? [`Left out: ${leftOut.map((c) => `${c.name}: ${c.leftOut.join(', ')}`).join('; ')}.`] : []),
    ...(kept.length ? [`Kept because you chose it: ${kept.map((c) => `${c.name}: ${c.privileged.map((a) => a.toUpperCase()).join(', ')}`).join('; ')}.`] : []),
    ...(ignored.length ? [`Not created by this restore, so your choice for them is not used: ${ignored.join(', ')}.`] : []),
    'If the restore fails or is cancelled, the roles it created are dropped again.',
  ].join(' ');
  const privilegedLeftOut = leftOut.some((c) => c.leftOut.some((what) => /^[A-Z]+$/.test(what)));
  return {
    id: 'roles',
    status: kept.length ? 'warning' : 'ok',
    title: 'Roles',
    detail,
    ...(privilegedLeftOut ? { fix: 'Choose SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS per role only if you trust this archive with that power.' } : {}),
  };
}

/** For the roles a restore will create: the privileged attributes the archive gives each, for the user to keep or leave out. */
export function roleChoices(inspection: Inspection, facts: Pick<TargetFacts, 'roles'>, options: PreflightOptions): RoleChoice[] {
  if (!options.createMissingRoles || !inspection.lifeboat) return [];
  const missing = inspection.roles.filter((r) => !facts.roles.has(r));
  const { creations } = planRoleCreation(globalsRolesOf(inspection.lifeboat), missing, options.privilegedRoleAttributes ?? {});
  return creations
    .map((c) => ({ name: c.name, kept: c.privileged, offered: PRIVILEGED_ROLE_ATTRIBUTES.filter((a) => c.privileged.includes(a) || c.leftOut.includes(a.toUpperCase())) }))
    .filter((c) => c.offered.length > 0);
}

// Extensions.
export function extensionsCheck(inspection: Inspection, facts: Pick<TargetFacts, 'availableExtensions'>): CheckItem {
  const missingExtensions = inspection.extensions.filter((e) => !facts.availableExtensions.has(e));
  return missingExtensions.length
    ? { id: 'extensions', status: 'blocker', title: 'Extensions missing on the target', detail: `The archive needs extensions the target server does not have installed: ${missingExtensions.join(', ')}.`, fix: 'Install their packages on the target server (e.g. postgresql-NN-postgis), then try again.' }
    : { id: 'extensions', status: 'ok', title: 'Extensions', detail: inspection.extensions.length ? `Available on the target: ${inspection.extensions.join(', ')}.` : 'The archive needs no extensions.' };
}

// Space. What the restore needs is known for Lifeboat archives only (the manifest's table sizes); free
// space only for a server on this computer. What is not known is said as unknown, never as enough.
export function spaceCheck(inspection: Inspection, freeSpace: TargetState['freeSpace']): CheckItem {
  const expected = inspection.lifeboat ? inspection.lifeboat.manifest.tables.reduce((sum, t) => sum + t.estimatedBytes, 0) : null;
  if (!freeSpace) {
    const needs = expected !== null ? `about ${formatBytes(expected)} of table data (indexes come on top)` : `an amount unknown before restoring (the file is ${formatBytes(inspection.size)}; compressed dumps often grow 3–10×)`;
    return {
      id: 'space', status: 'unknown', title: 'Free space unknown',
      detail: `Lifeboat cannot read the free space where the server keeps its data (a server on another computer, or a role that may not see its data folder); the restore needs ${needs}.`,
      fix: 'Check the free space on the server before a large restore. If it runs out, the restore stops and Lifeboat removes what it created.',
    };
  }
  const free = `${formatBytes(freeSpace.bytes)} free where the server keeps its data`;
  if (expected === null) {
    // Less free space than the file's own size will not hold what it restores.
    const tight = freeSpace.bytes < inspection.size;
    return {
      id: 'space', status: tight ? 'warning' : 'unknown', title: tight ? 'Disk space' : 'Space needed unknown',
      detail: `${free}; how much the restore needs is unknown before restoring (the file is ${formatBytes(inspection.size)}; compressed dumps often grow 3–10×).`,
      fix: tight ? 'Free space on the server, or restore to another server.' : `Make sure the server has several times the file's size free. If it runs out, the restore stops and Lifeboat removes what it created.`,
    };
  }
  const enough = freeSpace.bytes > expected * 1.5;
  return { id: 'space', status: enough ? 'ok' : freeSpace.bytes < expected ? 'blocker' : 'warning', title: 'Disk space', detail: `${free}; the restore needs about ${formatBytes(expected)} of table data (indexes come on top).`, ...(enough ? {} : { fix: 'Free space on the server, or restore to another server.' }) };
}

// Target database: may the profile's role create one at all.
export function createPermissionCheck(facts: Pick<TargetFacts, 'canCreateDatabase' | 'currentUser'>, options: Pick<PreflightOptions, 'mode'>): CheckItem | null {
  if (facts.canCreateDatabase || options.mode === 'data-only') return null;
  return { id: 'target', status: 'blocker', title: 'No permission to create databases', detail: `${facts.currentUser} may not create databases on this server.`, fix: 'Use a profile whose role has CREATEDB (or is a superuser).' };
}

// Target database: what happens to it in the chosen mode.
export function targetCheck(target: Pick<TargetState, 'facts' | 'exists' | 'owner'>, options: Pick<PreflightOptions, 'mode' | 'database'>): CheckItem {
  const { facts } = target;
  if (options.mode === 'new') {
    return target.exists
      ? { id: 'target', status: 'blocker', title: `A database named "${options.database}" already exists`, detail: 'Restoring into a new database never touches an existing one.', fix: 'Choose another name, or use "replace" to swap it.' }
      : { id: 'target', status: 'ok', title: 'Target', detail: `A new database "${options.database}" will be created; nothing existing is changed.` };
  }
  if (options.mode === 'replace') {
    if (!target.exists) return { id: 'target', status: 'blocker', title: `There is no database "${options.database}" to replace`, detail: 'Replace swaps an existing database.', fix: 'Restore into a new database instead.' };
    if (!facts.superuser && target.owner !== facts.currentUser) {
      return { id: 'target', status: 'blocker', title: 'Renaming is not permitted', detail: `Replace swaps by renaming, which needs the owner (${target.owner}) or a superuser; ${facts.currentUser} is neither.`, fix: 'Use a profile of the owner or a superuser, or restore into a new database and switch your application to it.' };
    }
    return { id: 'target', status: 'ok', title: 'Target', detail: `"${options.database}" will be restored as a new database, verified, then swapped in; the current one is kept as "${options.database}_before_restore_…".` };
  }
  return target.exists
    ? { id: 'target', status: 'ok', title: 'Target', detail: `Rows of the chosen tables are added to "${options.database}" in one transaction: all or nothing.` }
    : { id: 'target', status: 'blocker', title: `There is no database "${options.database}"`, detail: 'Data-only restores add rows to an existing database.', fix: 'Choose an existing database.' };
}

// Selected tables.
export function tablesCheck(inspection: Pick<Inspection, 'tables'>, options: Pick<PreflightOptions, 'mode' | 'tables'>): CheckItem | null {
  if (options.tables?.length) {
    const known = new Set(inspection.tables.map((t) => `${t.schema}.${t.name}`));
    const unknown = options.tables.filter((t) => !known.has(t));
    return unknown.length
      ? { id: 'tables', status: 'blocker', title: 'Tables not in the archive', detail: `Not found: ${unknown.join(', ')}.`, fix: 'Pick tables from the archive\'s list (schema.table).' }
      : { id: 'tables', status: 'ok', title: 'Selected tables', detail: options.tables.join(', ') };
  }
  if (options.mode === 'data-only') {
    return { id: 'tables', status: 'blocker', title: 'No tables chosen', detail: 'A data-only restore brings back the rows of tables you pick.', fix: 'Choose one or more tables.' };
  }
  return null;
}

// Sessions.
export function sessionsCheck(target: Pick<TargetState, 'exists' | 'sessions'>, options: Pick<PreflightOptions, 'mode' | 'database'>): CheckItem | null {
  if (options.mode === 'new' || !target.exists) return null;
  const list = target.sessions.map((s) => `${s.user}@${s.client} (${s.application}, ${s.state})`).join('; ');
  return target.sessions.length
    ? { id: 'sessions', status: options.mode === 'replace' ? 'warning' : 'info', title: `${target.sessions.length} active session(s) on "${options.database}"`, detail: `${list}.${options.mode === 'replace' ? ' They are ended at the swap (new connections are blocked first).' : ''}` }
    : { id: 'sessions', status: 'ok', title: 'Sessions', detail: `Nobody is connected to "${options.database}".` };
}

// Safety backup (replace only).
export function safetyBackupCheck(options: Pick<PreflightOptions, 'mode' | 'database' | 'safetyBackup'>): CheckItem | null {
  if (options.mode !== 'replace') return null;
  return options.safetyBackup === false
    ? { id: 'safety-backup', status: 'warning', title: 'No safety backup', detail: 'You turned the safety backup off: the kept copy is the only way back.' }
    : { id: 'safety-backup', status: 'ok', title: 'Safety backup', detail: `"${options.database}" is backed up first (an encrypted archive in its backup folder).` };
}

// Confirmation (replace only).
export function confirmationCheck(options: Pick<PreflightOptions, 'mode' | 'database' | 'confirm'>): CheckItem | null {
  if (options.mode !== 'replace') return null;
  return options.confirm === options.database
    ? { id: 'confirmation', status: 'ok', title: 'Confirmed', detail: `You typed "${options.database}".` }
    : { id: 'confirmation', status: 'blocker', title: 'Confirmation needed', detail: `Type the database name "${options.database}" to confirm the replace.`, fix: 'Type the database name to confirm (in the CLI: add --yes).' };
}

/** The file's sha256 when its sidecar is to be compared (a fully checked Lifeboat archive with one), else null. */
async function sidecarComparand(inspection: Inspection): Promise<string | null> {
  if (inspection.problem || !inspection.lifeboat?.checksums || !inspection.lifeboat.sidecar) return null;
  // Taken while the inspection read the file, when it read all of it and the file has not changed since.
  if (inspection.fileSha256 && inspection.fileIdentity) return inspection.fileSha256;
  return fileSha256(inspection.path);
}

const fileHashes = new Map<string, Promise<string>>();

/** The file's sha256, remembered per file version: the UI re-runs the checklist as the user edits. */
async function fileSha256(file: string): Promise<string> {
  const info = await stat(file);
  const key = `${file}\0${info.size}\0${info.mtimeMs}`;
  let hash = fileHashes.get(key);
  if (!hash) {
    hash = sha256File(file);
    hash.catch(() => fileHashes.delete(key));
    fileHashes.set(key, hash);
    while (fileHashes.size > 16) fileHashes.delete(fileHashes.keys().next().value!);
  }
  return hash;
}

const parsedGlobals = new WeakMap<object, GlobalsRoles>();

/** globals.sql's role definitions, read once per inspection (the UI re-runs the checklist on every change). */
function globalsRolesOf(lifeboat: NonNullable<Inspection['lifeboat']>): GlobalsRoles {
  let parsed = parsedGlobals.get(lifeboat);
  if (!parsed) {
    parsed = parseGlobalsRoles(lifeboat.globals);
    parsedGlobals.set(lifeboat, parsed);
  }
  return parsed;
}
