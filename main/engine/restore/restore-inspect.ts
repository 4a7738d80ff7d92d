// What a dropped file is and holds, and the safety checklist before any database is touched.
import { readFile, stat } from 'node:fs/promises';
import type { ArchiveChecksums, ArchiveManifest, ArchiveSidecar } from '../archive/archive-format.ts';
import type { ArchiveAuthenticity } from '../archive/archive-authenticity.ts';
import { walkPlaintext } from '../archive/archive-reader.ts';
import { sha256File } from '../archive/library-service.ts';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { LifeboatError } from '../errors.ts';
import { parseToolVersion } from '../pgtools/tool-version.ts';
import type { ErrorInfo, PgTool } from '../types.ts';
import { fileIdentity, openSource, type SourceDescription } from './restore-source.ts';
import { SqlGuard, type SqlFacts } from './sql-guard.ts';
import { TRUST_PHRASE, type UnsafeStatement } from './unsafe-statements.ts';
import { SqlLineSplitter } from './sql-pipeline.ts';
import { checkPrivilegedChoice, parseGlobalsRoles, PRIVILEGED_ROLE_ATTRIBUTES, planRoleCreation, type GlobalsRoles, type PrivilegedRoleAttribute } from './role-definitions.ts';
import { listToc, startSchemaScan, startTocListing, type TocListing } from './toc-listing.ts';
import type { TocDat } from './toc-dat.ts';
import type { SessionInfo, TargetFacts } from './target-server.ts';
import { STAND_IN_OWNER } from './least-privilege-sql.ts';

export interface InspectedTable {
  schema: string;
  name: string;
  rows: number | null;
}

export interface Inspection extends SourceDescription {
  encryption: 'age' | 'gpg' | null;
  sourceDatabase: string | null;
  sourceServerVersion: string | null;
  dumpedBy: string | null;
  createdAt: string | null;
  tables: InspectedTable[];
  /** Roles the archive's objects belong to or are granted to. */
  roles: string[];
  /** Roles the dump makes owners (OWNER TO, default privileges FOR ROLE, the TOC's owner field): a subset of roles. */
  owners: string[];
  extensions: string[];
  /** The newest pg_dump major that wrote it (decides which pg_restore can read it). */
  dumpMajor: number | null;
  /** authenticity: who made it, by its tag (see archive-authenticity.ts); null when the archive was not read to its end (quick). */
  lifeboat: { manifest: ArchiveManifest; checksums: ArchiveChecksums | null; globals: string; sidecar: ArchiveSidecar | null; authenticity: ArchiveAuthenticity | null } | null;
  toc: TocListing | null;
  sql: Pick<SqlFacts, 'lines' | 'connects' | 'createsDatabase' | 'needsAutocommit'> | null;
  /** Statements that reach beyond the database being restored (from the SQL, or an archive's definitions). */
  unsafe: { statements: UnsafeStatement[]; count: number };
  /** Problem found while reading (damage, forbidden command): the preflight turns it into a blocker. */
  problem: ErrorInfo | null;
  /** Read only up to the table of contents (drills): integrity is checked while restoring instead. */
  quick: boolean;
  /** The file's identity while it was read (restore-source.ts fileIdentity); null when it changed meanwhile or is a folder. */
  fileIdentity: string | null;
}

/** Reads the whole file once: Lifeboat archives are verified, SQL is scanned, pg archives' TOCs listed. */
export async function inspectFile(file: string, keys: AgeKeys, pgRestoreFor: (dumpMajor: number | null) => Promise<PgTool>, signal?: AbortSignal, options: { quick?: boolean; trusted?: AgeKeys } = {}): Promise<Inspection> {
  const source = await openSource(file, keys, { signal });
  const base: Inspection = {
    path: source.path, size: source.size, layers: source.layers, inner: source.inner, label: source.label,
    encryption: source.layers.includes('age') ? 'age' : source.layers.includes('gpg') ? 'gpg' : null,
    sourceDatabase: null, sourceServerVersion: null, dumpedBy: null, createdAt: null, tables: [], roles: [], owners: [], extensions: [], dumpMajor: null,
    lifeboat: null, toc: null, sql: null, problem: null, quick: false, unsafe: { statements: [], count: 0 }, fileIdentity: source.identity,
  };
  try {
    if (source.inner === 'lifeboat-tar') {
      let globals = '';
      let manifestSeen: ArchiveManifest | null = null;
      let listing: ReturnType<typeof startTocListing> | null = null;
      let schema: ReturnType<typeof startSchemaScan> | null = null;
      const enough = new Error('table of contents read');
      const walk = await walkPlaintext(source.stream!, {
        signal,
        // Whose authenticity tags count: by default the keys that open the file.
        keys: options.trusted ?? keys,
        onGlobals: async (sql, manifest) => {
          globals = sql.toString('utf8');
          manifestSeen = manifest;
          const tool = await pgRestoreFor(parseToolVersion(`(PostgreSQL) ${manifest.tools.pg_dump.version}`)?.major ?? null);
          listing = startTocListing(tool, signal);
          schema = startSchemaScan(tool, null, signal);
        },
        onDump: async (chunk) => {
          const current = listing as ReturnType<typeof startTocListing> | null;
          const scan = schema as ReturnType<typeof startSchemaScan> | null;
          if (options.quick && current?.done && scan?.done) throw enough;
          await Promise.all([current?.write(chunk), scan?.write(chunk)]);
        },
      }).catch(async (error: unknown) => {
        if (error !== enough) {
          await (listing as ReturnType<typeof startTocListing> | null)?.abort();
          await (schema as ReturnType<typeof startSchemaScan> | null)?.abort();
          throw error;
        }
        return null;
      });
      if (!walk) {
        const manifest = manifestSeen as unknown as ArchiveManifest;
        const toc = await (listing as unknown as ReturnType<typeof startTocListing>).finish();
        const definitions = await (schema as unknown as ReturnType<typeof startSchemaScan>).finish();
        Object.assign(base, {
          quick: true,
          sourceDatabase: manifest.source.database,
          sourceServerVersion: manifest.server.version,
          dumpedBy: manifest.tools.pg_dump.version,
          createdAt: manifest.startedAt,
          tables: manifest.tables.filter((t) => t.kind !== 'm').map((t) => ({ schema: t.schema, name: t.name, rows: null })),
          roles: [...new Set([...toc.entries.map((e) => e.owner).filter((o) => o && o !== '-'), ...definitions.roles])],
          owners: tocOwners(toc, definitions),
          extensions: [...new Set([...toc.entries.filter((e) => e.type === 'EXTENSION').map((e) => e.name || e.schema).filter(Boolean), ...definitions.extensions])],
          dumpMajor: parseToolVersion(`(PostgreSQL) ${manifest.tools.pg_dump.version}`)?.major ?? null,
          lifeboat: { manifest, checksums: null, globals, sidecar: await readSidecar(file), authenticity: null },
          toc,
          unsafe: definitions.unsafe,
        });
        return base;
      }
      const toc = listing ? await (listing as ReturnType<typeof startTocListing>).finish() : null;
      const definitions = schema ? await (schema as ReturnType<typeof startSchemaScan>).finish() : { roles: [], owners: [], extensions: [], unsafe: { statements: [], count: 0 } };
      const sidecar = await readSidecar(file);
      const counts = new Map((walk.checksums.rowCounts?.tables ?? []).map((t) => [`${t.schema}.${t.name}`, t.rows]));
      Object.assign(base, {
        sourceDatabase: walk.manifest.source.database,
        sourceServerVersion: walk.manifest.server.version,
        dumpedBy: walk.manifest.tools.pg_dump.version,
        createdAt: walk.manifest.startedAt,
        tables: walk.manifest.tables.filter((t) => t.kind !== 'm').map((t) => ({ schema: t.schema, name: t.name, rows: counts.get(`${t.schema}.${t.name}`) ?? null })),
        roles: [...new Set([...(toc?.entries ?? []).map((e) => e.owner).filter((o) => o && o !== '-'), ...definitions.roles])],
        owners: tocOwners(toc, definitions),
        extensions: [...new Set([...(toc?.entries ?? []).filter((e) => e.type === 'EXTENSION').map((e) => e.name || e.schema).filter(Boolean), ...definitions.extensions])],
        dumpMajor: parseToolVersion(`(PostgreSQL) ${walk.manifest.tools.pg_dump.version}`)?.major ?? null,
        lifeboat: { manifest: walk.manifest, checksums: walk.checksums, globals, sidecar, authenticity: walk.authenticity },
        toc,
        unsafe: definitions.unsafe,
      });
    } else if (source.inner === 'sql') {
      const guard = new SqlGuard();
      // The restore's own splitter: the guard sees exactly the bytes psql would get, COPY data streamed.
      const lines = new SqlLineSplitter(guard, (line) => void guard.line(line));
      try {
        for await (const chunk of source.stream!) lines.push(chunk, []);
        lines.end([]);
        guard.finish();
      } finally {
        const f = guard.facts;
        Object.assign(base, {
          sourceServerVersion: f.dumpedFromVersion,
          tables: f.tables.map((t) => splitName(t)),
          roles: [...new Set([...f.owners, ...f.grantees])],
          owners: [...f.owners],
          extensions: [...f.extensions],
          sql: { lines: f.lines, connects: f.connects, createsDatabase: f.createsDatabase, needsAutocommit: f.needsAutocommit },
          unsafe: { statements: f.unsafe, count: f.unsafeCount },
        });
      }
    } else {
      const tool = await pgRestoreFor(null);
      let toc: TocListing;
      let definitions: Awaited<ReturnType<ReturnType<typeof startSchemaScan>['finish']>>;
      if (source.inner === 'pg-directory') {
        toc = await listToc(tool, { directory: source.path }, signal);
        if (source.tocDat) sameEntries(toc, source.tocDat);
        definitions = await startSchemaScan(tool, { directory: source.path }, signal).finish();
      } else {
        const listing = startTocListing(tool, signal);
        const scan = startSchemaScan(tool, null, signal);
        try {
          for await (const chunk of source.stream!) {
            if (listing.done && scan.done) break;
            await Promise.all([listing.write(chunk), scan.write(chunk)]);
          }
          toc = await listing.finish();
          definitions = await scan.finish();
        } catch (error) {
          await listing.abort();
          await scan.abort();
          throw error;
        }
      }
      Object.assign(base, {
        toc,
        sourceDatabase: toc.database,
        sourceServerVersion: toc.dumpedFromVersion,
        dumpedBy: toc.dumpedByVersion,
        createdAt: toc.createdAt,
        tables: toc.entries.filter((e) => e.type === 'TABLE').map((e) => ({ schema: e.schema, name: e.name, rows: null })),
        roles: [...new Set([...toc.entries.map((e) => e.owner).filter((o) => o && o !== '-'), ...definitions.roles])],
        owners: tocOwners(toc, definitions),
        extensions: [...new Set([...toc.entries.filter((e) => e.type === 'EXTENSION').map((e) => e.name || e.schema).filter(Boolean), ...definitions.extensions])],
        dumpMajor: parseToolVersion(`(PostgreSQL) ${toc.dumpedByVersion ?? ''}`)?.major ?? null,
        unsafe: definitions.unsafe,
      });
    }
  } catch (error) {
    if (!(error instanceof LifeboatError) || ['NO_KEY', 'WRONG_KEY', 'TOOL_NOT_FOUND', 'NOT_AN_ARCHIVE', 'FILE_NOT_FOUND'].includes(error.code)) throw error;
    base.problem = error.toInfo();
  } finally {
    await source.close();
  }
  // What was read vouches only for the file as it still is.
  if (base.fileIdentity && (await fileIdentity(file)) !== base.fileIdentity) base.fileIdentity = null;
  return base;
}

/**
 * An archive restored with the profile's rights because this Lifeboat made it must be the very file
 * whose tag was checked: one swapped or rewritten since would run as the profile unseen.
 */
export function assertSameFile(inspection: Inspection, options: Pick<PreflightOptions, 'trust'>, identity: string | null): void {
  if (options.trust === TRUST_PHRASE || !runsTrusted(inspection, options)) return;
  if (inspection.fileIdentity !== null && inspection.fileIdentity === identity) return;
  throw new LifeboatError('PREFLIGHT_BLOCKED', 'The archive changed after Lifeboat checked that this Lifeboat made it (it was replaced or written to), so it is no longer known to be yours.', 'Check the file again (drop it again, or run the command again), then restore.');
}

/**
 * pg_restore must list what Lifeboat checked in toc.dat: a different list means the folder changed
 * between the check and pg_restore's read (or the two readers disagree) — refuse rather than guess.
 */
function sameEntries(listing: TocListing, checked: TocDat): void {
  const byId = new Map(checked.entries.map((e) => [e.dumpId, e]));
  const differing = listing.entries.find((listed) => {
    const entry = byId.get(listed.id);
    return !entry || !listed.line.startsWith(`${entry.dumpId}; ${entry.tableoid} ${entry.oid} ${entry.desc} `);
  });
  if (differing) {
    throw new LifeboatError('ARCHIVE_DAMAGED', `The directory dump's toc.dat changed while it was being read: pg_restore lists "${differing.line.slice(0, 120)}", which Lifeboat's check did not see.`, 'Wait until nothing writes to the folder, then try again.');
  }
}

function tocOwners(toc: TocListing | null, definitions: { owners: string[] }): string[] {
  return [...new Set([...(toc?.entries ?? []).map((e) => e.owner).filter((o) => o && o !== '-'), ...definitions.owners])];
}

/** A sidecar is a small hint file; anything larger is not one. */
export const MAX_SIDECAR_BYTES = 1024 * 1024;

/** The sidecar next to an archive, or null when there is none or it is not a small JSON file. */
async function readSidecar(file: string): Promise<ArchiveSidecar | null> {
  const info = await stat(`${file}.json`).catch(() => null);
  if (!info?.isFile() || info.size > MAX_SIDECAR_BYTES) return null;
  return readFile(`${file}.json`, 'utf8').then((t) => JSON.parse(t) as ArchiveSidecar, () => null);
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

export interface RoleChoice {
  name: string;
  /** Privileged attributes the archive gives this role (offered per role, off by default) and those chosen. */
  offered: PrivilegedRoleAttribute[];
  kept: PrivilegedRoleAttribute[];
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

function splitName(qualified: string): InspectedTable {
  const parts = qualified.match(/("(?:[^"]|"")+"|[^.]+)/g) ?? [qualified];
  const clean = (p: string) => (p.startsWith('"') ? p.slice(1, -1).replaceAll('""', '"') : p);
  return parts.length >= 2 ? { schema: clean(parts[0]!), name: clean(parts[1]!), rows: null } : { schema: 'public', name: clean(parts[0]!), rows: null };
}

export type CheckStatus = 'ok' | 'info' | 'warning' | 'blocker';

export interface CheckItem {
  id: 'identity' | 'trust' | 'privileges' | 'versions' | 'roles' | 'extensions' | 'space' | 'target' | 'sessions' | 'safety-backup' | 'confirmation' | 'tables' | 'tools';
  status: CheckStatus;
  title: string;
  detail: string;
  fix?: string;
}

export interface PreflightOptions {
  mode: 'new' | 'replace' | 'data-only';
  database: string;
  tables?: string[];
  noOwner?: boolean;
  noPrivileges?: boolean;
  createMissingRoles?: boolean;
  /** Per role created from globals.sql: privileged attributes the archive gives it that are kept (none unless chosen). */
  privilegedRoleAttributes?: Record<string, PrivilegedRoleAttribute[]>;
  safetyBackup?: boolean;
  confirm?: string;
  /** TRUST_PHRASE, typed: statements that reach beyond the new database may run (recorded in the activity log). */
  trust?: string;
  /** Drills: run even an own archive as a temporary role without superuser rights when it needs none. */
  leastPrivilege?: 'whenever-possible';
  /**
   * A file this Lifeboat did not make: give its objects to the roles it names (roles that cannot log
   * in and have no special rights) instead of the stand-in lifeboat_restored. Their code (index
   * expressions, SECURITY DEFINER functions) then runs with those roles' rights.
   */
  keepOwners?: boolean;
}

export interface TargetState {
  facts: TargetFacts;
  exists: boolean;
  owner: string | null;
  sessions: SessionInfo[];
  freeSpace: { bytes: number; where: string } | null;
  pgRestore: PgTool | null;
  pgRestoreError: ErrorInfo | null;
}

/** The checklist: each item ✓ / info / warning / blocker with a sentence of why and what to do. */
/** Whether statements that reach beyond the new database may run: the user's own archive, or typed trust. */
export function runsTrusted(inspection: Inspection, options: Pick<PreflightOptions, 'trust'>): boolean {
  const author = inspection.lifeboat?.authenticity;
  return author === 'own-key' || author === 'own-passphrase' || options.trust === TRUST_PHRASE;
}

function trustItem(inspection: Inspection, options: PreflightOptions): CheckItem | null {
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

/** Whether this restore runs the file's SQL as a temporary role without superuser rights (least-privilege-restore.ts). */
export function runsRestricted(inspection: Inspection, facts: Pick<TargetFacts, 'superuser'>, options: PreflightOptions): boolean {
  if (options.mode === 'data-only' || !facts.superuser) return false;
  if (!runsTrusted(inspection, options)) return true;
  // Drills: even an own archive, unless it needs a superuser (or the user typed trust).
  return options.leastPrivilege === 'whenever-possible' && options.trust !== TRUST_PHRASE && inspection.unsafe.count === 0;
}

/** With whose rights a file Lifeboat did not make runs, and who owns what it gives to privileged roles. */
function privilegeItem(inspection: Inspection, facts: TargetFacts, options: PreflightOptions): CheckItem | null {
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

export async function buildChecklist(inspection: Inspection, target: TargetState, options: PreflightOptions): Promise<CheckItem[]> {
  const items: CheckItem[] = [];
  const { facts } = target;
  const human = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

  const trust = trustItem(inspection, options);
  if (trust) items.push(trust);
  const privileges = privilegeItem(inspection, facts, options);
  if (privileges) items.push(privileges);
  // Identity and integrity.
  if (inspection.problem) {
    items.push({ id: 'identity', status: 'blocker', title: 'The file cannot be used', detail: inspection.problem.message, ...(inspection.problem.fix ? { fix: inspection.problem.fix } : {}) });
  } else if (inspection.lifeboat && !inspection.lifeboat.checksums) {
    items.push({ id: 'identity', status: 'ok', title: 'Archive identity', detail: `Lifeboat archive of "${inspection.sourceDatabase}"; its checksums are verified while it is restored.` });
  } else if (inspection.lifeboat?.checksums) {
    const { sidecar, checksums } = inspection.lifeboat;
    let detail = `Lifeboat archive of "${inspection.sourceDatabase}"; decrypted and checked: the dump's sha256 matches checksums.json (${checksums.dump.parts} part(s)).`;
    let status: CheckStatus = 'ok';
    if (sidecar) {
      const actual = await fileSha256(inspection.path);
      if (actual !== sidecar.sha256) {
        items.push({ id: 'identity', status: 'blocker', title: 'The archive changed since it was written', detail: 'Its sha256 differs from the one in its sidecar.', fix: 'Use another copy of this backup.' });
      } else detail += ' The file\'s sha256 matches its sidecar.';
    } else {
      status = 'info';
      detail += ' It has no sidecar (.json), so the whole-file checksum cannot be compared.';
    }
    const author = authorSentence(inspection.lifeboat.authenticity);
    if (author) detail += ` ${author}`;
    if (inspection.lifeboat.authenticity === 'mismatch' && status === 'ok') status = 'info';
    if (!items.some((i) => i.id === 'identity')) items.push({ id: 'identity', status, title: 'Archive identity and integrity', detail });
  } else if (inspection.sql) {
    items.push({ id: 'identity', status: 'ok', title: 'SQL script scanned', detail: `${inspection.label}: ${inspection.sql.lines} lines, no psql commands other than those pg_dump writes.` });
    if (inspection.sql.connects.length || inspection.sql.createsDatabase) {
      items.push({ id: 'identity', status: 'blocker', title: 'The script creates or switches databases itself', detail: `It contains ${inspection.sql.createsDatabase ? 'CREATE DATABASE' : ''}${inspection.sql.createsDatabase && inspection.sql.connects.length ? ' and ' : ''}${inspection.sql.connects.length ? `\\connect ${inspection.sql.connects.join(', ')}` : ''}, so it would not restore into the database you choose.`, fix: 'Use a dump made by pg_dump without -C (not pg_dumpall), or remove those lines.' });
    }
  } else if (inspection.toc) {
    items.push({ id: 'identity', status: 'ok', title: 'Archive readable', detail: `${inspection.label}: pg_restore reads its table of contents (${inspection.toc.entries.length} entries).` });
  }

  // Versions.
  if (target.pgRestoreError) {
    items.push({ id: 'tools', status: 'blocker', title: 'No suitable pg_restore', detail: target.pgRestoreError.message, ...(target.pgRestoreError.fix ? { fix: target.pgRestoreError.fix } : {}) });
  }
  const sourceMajor = inspection.sourceServerVersion ? parseToolVersion(`(PostgreSQL) ${inspection.sourceServerVersion}`)?.major ?? null : null;
  const newerDump = (inspection.dumpMajor ?? sourceMajor ?? 0) > facts.serverMajor;
  items.push({
    id: 'versions',
    status: newerDump ? 'warning' : 'ok',
    title: 'Versions',
    detail: `Source: PostgreSQL ${inspection.sourceServerVersion ?? 'unknown'}${inspection.dumpedBy ? `, written by pg_dump ${inspection.dumpedBy}` : ''}; target: PostgreSQL ${facts.serverVersion}${target.pgRestore ? `; pg_restore ${target.pgRestore.version}` : ''}.` +
      (newerDump ? ` The dump is newer than the target: settings the target does not know (such as transaction_timeout) are skipped and reported; any other error stops the restore and removes what it created.` : ''),
  });

  // Roles. The per-role choice is input from the UI or CLI: refused when malformed, even if no role is created.
  checkPrivilegedChoice(options.privilegedRoleAttributes ?? {});
  const missingRoles = inspection.roles.filter((r) => !facts.roles.has(r));
  const globals = inspection.lifeboat ? globalsRolesOf(inspection.lifeboat) : null;
  const globalsRoles = globals ? [...globals.roles.keys()] : [];
  if (missingRoles.length === 0) {
    items.push({ id: 'roles', status: 'ok', title: 'Roles', detail: inspection.roles.length ? `Every role the archive uses exists on the target (${inspection.roles.slice(0, 8).join(', ')}${inspection.roles.length > 8 ? ', …' : ''}).` : 'The archive names no roles.' });
  } else if (options.createMissingRoles && globals && missingRoles.every((r) => globalsRoles.includes(r))) {
    items.push(rolesToCreate(globals, missingRoles, options));
  } else if (options.noOwner) {
    items.push({ id: 'roles', status: options.noPrivileges ? 'ok' : 'warning', title: 'Roles', detail: `Missing on the target: ${missingRoles.join(', ')}. Objects will belong to ${runsRestricted(inspection, facts, options) ? STAND_IN_OWNER : facts.currentUser}${options.noPrivileges ? ' and privileges are not restored' : '; GRANTs to missing roles would still fail'}.`, ...(options.noPrivileges ? {} : { fix: 'Also choose "no privileges".' }) });
  } else {
    const canCreate = missingRoles.every((r) => globalsRoles.includes(r));
    items.push({
      id: 'roles',
      status: 'blocker',
      title: 'Roles missing on the target',
      detail: `The archive uses roles the target lacks: ${missingRoles.join(', ')}.`,
      fix: canCreate ? 'Create them from the archive\'s globals.sql (without passwords), or restore with "no owner" and "no privileges".' : 'Create them on the target first, or restore with "no owner" and "no privileges".',
    });
  }

  // Extensions.
  const missingExtensions = inspection.extensions.filter((e) => !facts.availableExtensions.has(e));
  items.push(missingExtensions.length
    ? { id: 'extensions', status: 'blocker', title: 'Extensions missing on the target', detail: `The archive needs extensions the target server does not have installed: ${missingExtensions.join(', ')}.`, fix: 'Install their packages on the target server (e.g. postgresql-NN-postgis), then try again.' }
    : { id: 'extensions', status: 'ok', title: 'Extensions', detail: inspection.extensions.length ? `Available on the target: ${inspection.extensions.join(', ')}.` : 'The archive needs no extensions.' });

  // Space.
  const expected = inspection.lifeboat ? inspection.lifeboat.manifest.tables.reduce((sum, t) => sum + t.estimatedBytes, 0) : null;
  const expectedText = expected !== null ? `about ${human(expected)} of table data (indexes come on top)` : `unknown before restoring (the file is ${human(inspection.size)}; compressed dumps often grow 3–10×)`;
  if (target.freeSpace) {
    const enough = expected === null || target.freeSpace.bytes > expected * 1.5;
    items.push({ id: 'space', status: enough ? 'ok' : expected !== null && target.freeSpace.bytes < expected ? 'blocker' : 'warning', title: 'Disk space', detail: `${human(target.freeSpace.bytes)} free where the server keeps its data; the restore needs ${expectedText}.`, ...(enough ? {} : { fix: 'Free space on the server, or restore to another server.' }) });
  } else {
    items.push({ id: 'space', status: 'info', title: 'Disk space', detail: `Free space on the server cannot be checked from here; the restore needs ${expectedText}.` });
  }

  // Target database.
  if (!facts.canCreateDatabase && options.mode !== 'data-only') {
    items.push({ id: 'target', status: 'blocker', title: 'No permission to create databases', detail: `${facts.currentUser} may not create databases on this server.`, fix: 'Use a profile whose role has CREATEDB (or is a superuser).' });
  }
  if (options.mode === 'new') {
    items.push(target.exists
      ? { id: 'target', status: 'blocker', title: `A database named "${options.database}" already exists`, detail: 'Restoring into a new database never touches an existing one.', fix: 'Choose another name, or use "replace" to swap it.' }
      : { id: 'target', status: 'ok', title: 'Target', detail: `A new database "${options.database}" will be created; nothing existing is changed.` });
  } else if (options.mode === 'replace') {
    if (!target.exists) items.push({ id: 'target', status: 'blocker', title: `There is no database "${options.database}" to replace`, detail: 'Replace swaps an existing database.', fix: 'Restore into a new database instead.' });
    else if (!facts.superuser && target.owner !== facts.currentUser) {
      items.push({ id: 'target', status: 'blocker', title: 'Renaming is not permitted', detail: `Replace swaps by renaming, which needs the owner (${target.owner}) or a superuser; ${facts.currentUser} is neither.`, fix: 'Use a profile of the owner or a superuser, or restore into a new database and switch your application to it.' });
    } else items.push({ id: 'target', status: 'ok', title: 'Target', detail: `"${options.database}" will be restored as a new database, verified, then swapped in; the current one is kept as "${options.database}_before_restore_…".` });
  } else {
    items.push(target.exists
      ? { id: 'target', status: 'ok', title: 'Target', detail: `Rows of the chosen tables are added to "${options.database}" in one transaction: all or nothing.` }
      : { id: 'target', status: 'blocker', title: `There is no database "${options.database}"`, detail: 'Data-only restores add rows to an existing database.', fix: 'Choose an existing database.' });
  }

  // Selected tables.
  if (options.tables?.length) {
    const known = new Set(inspection.tables.map((t) => `${t.schema}.${t.name}`));
    const unknown = options.tables.filter((t) => !known.has(t));
    items.push(unknown.length
      ? { id: 'tables', status: 'blocker', title: 'Tables not in the archive', detail: `Not found: ${unknown.join(', ')}.`, fix: 'Pick tables from the archive\'s list (schema.table).' }
      : { id: 'tables', status: 'ok', title: 'Selected tables', detail: options.tables.join(', ') });
  } else if (options.mode === 'data-only') {
    items.push({ id: 'tables', status: 'blocker', title: 'No tables chosen', detail: 'A data-only restore brings back the rows of tables you pick.', fix: 'Choose one or more tables.' });
  }

  // Sessions.
  if (options.mode !== 'new' && target.exists) {
    const list = target.sessions.map((s) => `${s.user}@${s.client} (${s.application}, ${s.state})`).join('; ');
    items.push(target.sessions.length
      ? { id: 'sessions', status: options.mode === 'replace' ? 'warning' : 'info', title: `${target.sessions.length} active session(s) on "${options.database}"`, detail: `${list}.${options.mode === 'replace' ? ' They are ended at the swap (new connections are blocked first).' : ''}` }
      : { id: 'sessions', status: 'ok', title: 'Sessions', detail: `Nobody is connected to "${options.database}".` });
  }

  if (options.mode === 'replace') {
    items.push(options.safetyBackup === false
      ? { id: 'safety-backup', status: 'warning', title: 'No safety backup', detail: 'You turned the safety backup off: the kept copy is the only way back.' }
      : { id: 'safety-backup', status: 'ok', title: 'Safety backup', detail: `"${options.database}" is backed up first (an encrypted archive in its backup folder).` });
    items.push(options.confirm === options.database
      ? { id: 'confirmation', status: 'ok', title: 'Confirmed', detail: `You typed "${options.database}".` }
      : { id: 'confirmation', status: 'blocker', title: 'Confirmation needed', detail: `Type the database name "${options.database}" to confirm the replace.`, fix: 'Type the database name to confirm (in the CLI: add --yes).' });
  }
  return items;
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

export function firstBlocker(items: CheckItem[]): CheckItem | undefined {
  return items.find((i) => i.status === 'blocker');
}

