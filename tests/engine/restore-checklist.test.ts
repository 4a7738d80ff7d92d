// The preflight checklist's checks, each given already-gathered facts (no server, no file): the
// passing, warning and blocking cases, asserting each item's status, text and fix as the user sees them.
import { describe, expect, it } from 'vitest';
import type { ArchiveChecksums, ArchiveManifest, ArchiveSidecar } from '../../main/engine/archive/archive-format.ts';
import { describeItems } from '../../main/cli/commands/checklist-text.ts';
import { parseGlobalsRoles } from '../../main/engine/restore/role-definitions.ts';
import {
  buildChecklist, confirmationCheck, createPermissionCheck, extensionsCheck, firstBlocker, identityChecks, privilegeCheck, rolesCheck, runsRestricted,
  safetyBackupCheck, sessionsCheck, spaceCheck, tablesCheck, targetCheck, toolsCheck, trustCheck, versionsCheck,
  type PreflightOptions, type TargetState,
} from '../../main/engine/restore/restore-checklist.ts';
import * as viaInspect from '../../main/engine/restore/restore-inspect.ts';
import type { Inspection } from '../../main/engine/restore/restore-inspect.ts';
import type { TargetFacts } from '../../main/engine/restore/target-server.ts';
import { TRUST_PHRASE } from '../../main/engine/restore/trust-phrase.ts';
import type { PgTool } from '../../main/engine/types.ts';

const inspection = (over: Partial<Inspection> = {}): Inspection => ({
  path: '/backups/shop.dump', size: 2_500_000, layers: [], inner: 'pg-custom', label: 'pg_dump custom archive',
  encryption: null, sourceDatabase: 'shop', sourceServerVersion: '16.4', dumpedBy: '16.4', createdAt: null,
  tables: [{ schema: 'public', name: 'orders', rows: null }], roles: [], owners: [], extensions: [], dumpMajor: 16,
  lifeboat: null, toc: null, sql: null, unsafe: { statements: [], count: 0 }, problem: null, quick: false, fileIdentity: null,
  ...over,
} as Inspection);

const facts = (over: Partial<TargetFacts> = {}): TargetFacts => ({
  serverVersion: '17.2', serverMajor: 17, superuser: true, canCreateDatabase: true, roles: new Set(['postgres']), availableExtensions: new Set(['plpgsql', 'pg_trgm']),
  currentUser: 'postgres', privilegedRoles: new Set(['postgres']), loginRoles: new Set(['postgres']), ...over,
});

const pgRestore: PgTool = { name: 'pg_restore', path: '/usr/bin/pg_restore', version: '17.2', major: 17, source: 'bundled' } as PgTool;

const target = (over: Partial<TargetState> = {}): TargetState => ({
  facts: facts(), exists: false, owner: null, sessions: [], freeSpace: null, pgRestore, pgRestoreError: null, ...over,
});

const options = (over: Partial<PreflightOptions> = {}): PreflightOptions => ({ mode: 'new', database: 'shop_copy', ...over });

const manifest = (tables: { estimatedBytes: number }[] = []) => ({
  source: { database: 'shop' }, server: { version: '16.4' }, tools: { pg_dump: { version: '16.4' } }, startedAt: '2025-01-01T00:00:00Z',
  tables: tables.map((t, i) => ({ schema: 'public', name: `t${i}`, kind: 'r', ...t })),
}) as unknown as ArchiveManifest;

const checksums = { dump: { parts: 3 } } as unknown as ArchiveChecksums;
const sidecar = { sha256: 'a'.repeat(64) } as unknown as ArchiveSidecar;

const lifeboat = (over: Partial<NonNullable<Inspection['lifeboat']>> = {}): NonNullable<Inspection['lifeboat']> => ({
  manifest: manifest(), checksums, globals: '', sidecar, authenticity: 'own-key', ...over,
});

const unsafe = (count: number) => ({
  count,
  statements: Array.from({ length: Math.min(count, 5) }, (_, i) => ({ line: 10 + i, reason: 'changes a role', statement: `ALTER ROLE r${i}` })),
});

describe('trustCheck', () => {
  it('has nothing to say when no statement reaches beyond the database', () => {
    expect(trustCheck(inspection(), options())).toBeNull();
  });

  it('blocks a stranger\'s file with such statements until trust is typed', () => {
    expect(trustCheck(inspection({ unsafe: unsafe(1) }), options())).toEqual({
      id: 'trust', status: 'blocker', title: 'Statements that reach beyond the new database',
      detail: "This file was not made by this Lifeboat, and 1 statement reaches beyond the database it restores into — they would run with the rights of the profile's role: line 10 changes a role (ALTER ROLE r0).",
      fix: 'Restore it only if you trust where it came from: type "I trust where this file came from" (CLI: --trust "I trust where this file came from"). Lifeboat records that choice in the activity log.',
    });
  });

  it('warns when the user typed trust, and counts what it does not list', () => {
    const item = trustCheck(inspection({ unsafe: { ...unsafe(5), count: 7 } }), options({ trust: TRUST_PHRASE }));
    expect(item?.status).toBe('warning');
    expect(item?.title).toBe('Trusted by you');
    expect(item?.detail).toBe("7 statements reach beyond the new database and will run with the rights of the profile's role, as you chose (recorded in the activity log): line 10 changes a role (ALTER ROLE r0); line 11 changes a role (ALTER ROLE r1); line 12 changes a role (ALTER ROLE r2); line 13 changes a role (ALTER ROLE r3); line 14 changes a role (ALTER ROLE r4); and 2 more.");
    expect(item?.fix).toBeUndefined();
  });

  it('informs for an own archive and for a rows-only restore', () => {
    const own = trustCheck(inspection({ unsafe: unsafe(1), lifeboat: lifeboat({ authenticity: 'own-passphrase' }) }), options());
    expect(own).toEqual({ id: 'trust', status: 'info', title: 'Made by this Lifeboat', detail: "1 statement reaches beyond the new database, and run with the profile's rights because this archive carries this Lifeboat's own tag: line 10 changes a role (ALTER ROLE r0)." });
    const rows = trustCheck(inspection({ unsafe: { count: 1, statements: [{ line: 0, entry: 'ROLE r', reason: 'creates a role', statement: 'CREATE ROLE r' }] } }), options({ mode: 'data-only', tables: ['public.orders'] }));
    expect(rows).toEqual({ id: 'trust', status: 'info', title: 'Statements beyond the chosen rows', detail: '1 statement reaches beyond the database; a rows-only restore runs none of them: entry ROLE r creates a role (CREATE ROLE r).' });
  });
});

describe('privilegeCheck', () => {
  it('says nothing for own archives and rows-only restores', () => {
    expect(privilegeCheck(inspection({ lifeboat: lifeboat() }), facts(), options())).toBeNull();
    expect(privilegeCheck(inspection(), facts(), options({ mode: 'data-only' }))).toBeNull();
  });

  it('runs a stranger\'s file as the stand-in owner with a superuser profile', () => {
    expect(privilegeCheck(inspection(), facts(), options())).toEqual({
      id: 'privileges', status: 'info', title: 'Least privilege',
      detail: 'This file was not made by this Lifeboat: its SQL runs as a temporary role that is not a superuser, belongs to no other role and owns only the new database, so it cannot run programs, read files or change anything outside that database. Its objects will belong to lifeboat_restored, a role without rights.',
    });
  });

  it('names the owners it will not keep, and offers to keep those that may be', () => {
    const item = privilegeCheck(inspection({ owners: ['app', 'postgres'] }), facts({ roles: new Set(['postgres', 'app']) }), options());
    expect(item?.status).toBe('info');
    expect(item?.detail).toMatch(/ Its objects will belong to lifeboat_restored, a role without rights, not to the roles it names \(app, postgres\): their code would run with those roles' rights\. Choose "keep the file's owners" to give them to app\.$/);
    expect(item?.fix).toBe('Type "I trust where this file came from" to restore it with the profile\'s rights and every owner it names.');
    const kept = privilegeCheck(inspection({ owners: ['app', 'postgres'] }), facts({ roles: new Set(['postgres', 'app']) }), options({ keepOwners: true }));
    expect(kept?.detail).toMatch(/ Objects it gives to app keep that owner, as you chose: their code runs with that role's rights\. What it gives to postgres \(roles that can log in or have rights beyond one database\) belongs to lifeboat_restored\.$/);
  });

  it('blocks a profile role that reaches beyond one database without being a superuser', () => {
    expect(privilegeCheck(inspection(), facts({ superuser: false, currentUser: 'admin', privilegedRoles: new Set(['admin']) }), options())).toEqual({
      id: 'privileges', status: 'blocker', title: "The profile's role reaches beyond one database",
      detail: "This file was not made by this Lifeboat, and admin may create roles, replicate, bypass row security or read files and run programs on the server; Lifeboat runs strangers' files only with a role that cannot.",
      fix: 'Use a superuser profile (Lifeboat then restores with a temporary role without those rights) or a role without them, or type "I trust where this file came from" if you trust where the file came from.',
    });
  });

  it('informs for an ordinary role, and warns when trust was typed', () => {
    expect(privilegeCheck(inspection(), facts({ superuser: false, currentUser: 'app' }), options())).toEqual({ id: 'privileges', status: 'info', title: 'Least privilege', detail: 'This file was not made by this Lifeboat; it runs with the rights of app, which is not a superuser.' });
    expect(privilegeCheck(inspection(), facts(), options({ trust: TRUST_PHRASE }))).toEqual({ id: 'privileges', status: 'warning', title: 'Trusted by you', detail: 'This file was not made by this Lifeboat and runs with the rights of postgres, as you chose (recorded in the activity log).' });
    // The trust item says it already when statements reach beyond the database.
    expect(privilegeCheck(inspection({ unsafe: unsafe(1) }), facts(), options({ trust: TRUST_PHRASE }))).toBeNull();
  });
});

describe('runsRestricted', () => {
  it('restricts strangers\' files on a superuser profile, and own archives only in drills without unsafe statements', () => {
    expect(runsRestricted(inspection(), { superuser: true }, options())).toBe(true);
    expect(runsRestricted(inspection(), { superuser: false }, options())).toBe(false);
    expect(runsRestricted(inspection({ lifeboat: lifeboat() }), { superuser: true }, options())).toBe(false);
    expect(runsRestricted(inspection({ lifeboat: lifeboat() }), { superuser: true }, options({ leastPrivilege: 'whenever-possible' }))).toBe(true);
    expect(runsRestricted(inspection({ lifeboat: lifeboat(), unsafe: unsafe(1) }), { superuser: true }, options({ leastPrivilege: 'whenever-possible' }))).toBe(false);
  });
});

describe('identityChecks', () => {
  it('blocks a file that could not be read, with its fix', () => {
    expect(identityChecks(inspection({ problem: { code: 'ARCHIVE_DAMAGED', message: 'The dump is cut short.', fix: 'Use another copy.' } }), null)).toEqual([
      { id: 'identity', status: 'blocker', title: 'The file cannot be used', detail: 'The dump is cut short.', fix: 'Use another copy.' },
    ]);
    expect(identityChecks(inspection({ problem: { code: 'ARCHIVE_DAMAGED', message: 'Bad.' } }), null)[0]).not.toHaveProperty('fix');
  });

  it('passes a fully checked own archive whose sidecar matches', () => {
    expect(identityChecks(inspection({ lifeboat: lifeboat() }), 'a'.repeat(64))).toEqual([{
      id: 'identity', status: 'ok', title: 'Archive identity and integrity',
      detail: 'Lifeboat archive of "shop"; decrypted and checked: the dump\'s sha256 matches checksums.json (3 part(s)). The file\'s sha256 matches its sidecar. Made by this Lifeboat\'s key.',
    }]);
  });

  it('blocks an archive that differs from its sidecar', () => {
    expect(identityChecks(inspection({ lifeboat: lifeboat() }), 'b'.repeat(64))).toEqual([
      { id: 'identity', status: 'blocker', title: 'The archive changed since it was written', detail: 'Its sha256 differs from the one in its sidecar.', fix: 'Use another copy of this backup.' },
    ]);
  });

  it('informs when there is no sidecar or the tag does not verify', () => {
    const [bare] = identityChecks(inspection({ lifeboat: lifeboat({ sidecar: null, authenticity: 'none' }) }), null);
    expect(bare?.status).toBe('info');
    expect(bare?.detail).toBe('Lifeboat archive of "shop"; decrypted and checked: the dump\'s sha256 matches checksums.json (3 part(s)). It has no sidecar (.json), so the whole-file checksum cannot be compared. Not made by this Lifeboat: restored as a stranger\'s file (it carries no authenticity tag, like any archive made elsewhere or by an older Lifeboat).');
    const [mismatch] = identityChecks(inspection({ lifeboat: lifeboat({ authenticity: 'mismatch' }) }), 'a'.repeat(64));
    expect(mismatch?.status).toBe('info');
    expect(mismatch?.detail).toMatch(/matches its sidecar\. Not made by this Lifeboat: restored as a stranger's file \(its authenticity tag does not verify/);
  });

  it('passes a quick read, a listed archive and a clean script', () => {
    expect(identityChecks(inspection({ quick: true, lifeboat: lifeboat({ checksums: null, authenticity: null }) }), null)).toEqual([
      { id: 'identity', status: 'ok', title: 'Archive identity', detail: 'Lifeboat archive of "shop"; its checksums are verified while it is restored.' },
    ]);
    expect(identityChecks(inspection({ toc: { entries: [{}, {}] } as unknown as Inspection['toc'] }), null)).toEqual([
      { id: 'identity', status: 'ok', title: 'Archive readable', detail: 'pg_dump custom archive: pg_restore reads its table of contents (2 entries).' },
    ]);
    const sql = { lines: 42, connects: [], createsDatabase: false, needsAutocommit: [] };
    expect(identityChecks(inspection({ label: 'SQL script', sql }), null)).toEqual([
      { id: 'identity', status: 'ok', title: 'SQL script scanned', detail: 'SQL script: 42 lines, no psql commands other than those pg_dump writes.' },
    ]);
    expect(identityChecks(inspection(), null)).toEqual([]);
  });

  it('blocks a script that creates or switches databases', () => {
    const items = identityChecks(inspection({ label: 'SQL script', sql: { lines: 9, connects: ['shop', 'other'], createsDatabase: true, needsAutocommit: [] } }), null);
    expect(items.map((i) => i.status)).toEqual(['ok', 'blocker']);
    expect(items[1]).toEqual({
      id: 'identity', status: 'blocker', title: 'The script creates or switches databases itself',
      detail: 'It contains CREATE DATABASE and \\connect shop, other, so it would not restore into the database you choose.',
      fix: 'Use a dump made by pg_dump without -C (not pg_dumpall), or remove those lines.',
    });
    expect(identityChecks(inspection({ sql: { lines: 9, connects: [], createsDatabase: true, needsAutocommit: [] } }), null)[1]?.detail).toBe('It contains CREATE DATABASE, so it would not restore into the database you choose.');
  });
});

describe('toolsCheck and versionsCheck', () => {
  it('blocks without a suitable pg_restore', () => {
    expect(toolsCheck({ pgRestoreError: null })).toBeNull();
    expect(toolsCheck({ pgRestoreError: { code: 'TOOL_NOT_FOUND', message: 'No pg_restore 18.', fix: 'Install it.' } })).toEqual({ id: 'tools', status: 'blocker', title: 'No suitable pg_restore', detail: 'No pg_restore 18.', fix: 'Install it.' });
  });

  it('passes an older dump and warns about a newer one', () => {
    expect(versionsCheck(inspection(), target())).toEqual({ id: 'versions', status: 'ok', title: 'Versions', detail: 'Source: PostgreSQL 16.4, written by pg_dump 16.4; target: PostgreSQL 17.2; pg_restore 17.2.' });
    const newer = versionsCheck(inspection({ sourceServerVersion: null, dumpedBy: null, dumpMajor: 18 }), target({ pgRestore: null }));
    expect(newer.status).toBe('warning');
    expect(newer.detail).toBe('Source: PostgreSQL unknown; target: PostgreSQL 17.2. The dump is newer than the target: settings the target does not know (such as transaction_timeout) are skipped and reported; any other error stops the restore and removes what it created.');
    // Without the dump's own version, the source server's decides.
    expect(versionsCheck(inspection({ sourceServerVersion: '18.1', dumpMajor: null }), target()).status).toBe('warning');
  });

  it('says "unknown", never ✓, when the file does not say which PostgreSQL made it — and does not block', () => {
    // A plain SQL script without pg_dump's header.
    const item = versionsCheck(inspection({ inner: 'sql', sourceServerVersion: null, dumpedBy: null, dumpMajor: null }), target());
    expect(item).toEqual({
      id: 'versions', status: 'unknown', title: 'Source version unknown',
      detail: "Source: PostgreSQL unknown; target: PostgreSQL 17.2; pg_restore 17.2. The file does not say which PostgreSQL it came from (a plain SQL script without pg_dump's header, for example), so Lifeboat cannot tell whether PostgreSQL 17.2 understands everything in it.",
      fix: 'Restore it if it came from PostgreSQL 17 or older. If it came from a newer one, a statement the target does not know stops the restore, and Lifeboat removes what it created.',
    });
    expect(firstBlocker([item])).toBeUndefined();
    // Only pg_dump's version known: the source server is still unknown.
    expect(versionsCheck(inspection({ sourceServerVersion: null, dumpedBy: '16.4', dumpMajor: 16 }), target()).status).toBe('unknown');
  });
});

describe('rolesCheck', () => {
  const globals = parseGlobalsRoles("CREATE ROLE app LOGIN PASSWORD 'x';\nCREATE ROLE boss SUPERUSER NOLOGIN;\n");

  it('passes when every role exists or none is named', () => {
    expect(rolesCheck(inspection({ roles: ['postgres'] }), facts(), options(), null)).toEqual({ id: 'roles', status: 'ok', title: 'Roles', detail: 'Every role the archive uses exists on the target (postgres).' });
    expect(rolesCheck(inspection(), facts(), options(), null).detail).toBe('The archive names no roles.');
    const many = Array.from({ length: 9 }, (_, i) => `r${i}`);
    expect(rolesCheck(inspection({ roles: many }), facts({ roles: new Set(many) }), options(), null).detail).toBe('Every role the archive uses exists on the target (r0, r1, r2, r3, r4, r5, r6, r7, …).');
  });

  it('blocks missing roles, offering globals.sql when it defines them', () => {
    expect(rolesCheck(inspection({ roles: ['app'] }), facts(), options(), globals)).toEqual({
      id: 'roles', status: 'blocker', title: 'Roles missing on the target', detail: 'The archive uses roles the target lacks: app.',
      fix: 'Create them from the archive\'s globals.sql (without passwords), or restore with "no owner" and "no privileges".',
    });
    expect(rolesCheck(inspection({ roles: ['ghost'] }), facts(), options(), globals).fix).toBe('Create them on the target first, or restore with "no owner" and "no privileges".');
  });

  it('warns with "no owner" alone and passes with "no privileges" too', () => {
    expect(rolesCheck(inspection({ roles: ['ghost'] }), facts(), options({ noOwner: true }), null)).toEqual({
      id: 'roles', status: 'warning', title: 'Roles', detail: 'Missing on the target: ghost. Objects will belong to lifeboat_restored; GRANTs to missing roles would still fail.', fix: 'Also choose "no privileges".',
    });
    expect(rolesCheck(inspection({ roles: ['ghost'], lifeboat: lifeboat() }), facts(), options({ noOwner: true, noPrivileges: true }), null)).toEqual({
      id: 'roles', status: 'ok', title: 'Roles', detail: 'Missing on the target: ghost. Objects will belong to postgres and privileges are not restored.',
    });
  });

  it('creates missing roles from globals.sql, leaving out what was not chosen', () => {
    const item = rolesCheck(inspection({ roles: ['app', 'boss'] }), facts(), options({ createMissingRoles: true }), globals);
    expect(item).toEqual({
      id: 'roles', status: 'ok', title: 'Roles',
      detail: "Will create app, boss from the archive's globals.sql, without passwords: each gets only LOGIN or NOLOGIN, INHERIT and CONNECTION LIMIT as recorded. Left out: app: its password; boss: SUPERUSER. If the restore fails or is cancelled, the roles it created are dropped again.",
      fix: 'Choose SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS per role only if you trust this archive with that power.',
    });
    const kept = rolesCheck(inspection({ roles: ['boss'] }), facts(), options({ createMissingRoles: true, privilegedRoleAttributes: { boss: ['superuser'], other: ['createdb'] } }), globals);
    expect(kept.status).toBe('warning');
    expect(kept.detail).toBe("Will create boss from the archive's globals.sql, without passwords: each gets only LOGIN or NOLOGIN, INHERIT and CONNECTION LIMIT as recorded. Kept because you chose it: boss: SUPERUSER. Not created by this restore, so your choice for them is not used: other. If the restore fails or is cancelled, the roles it created are dropped again.");
    expect(kept.fix).toBeUndefined();
  });
});

describe('extensionsCheck', () => {
  it('passes available extensions and blocks missing ones', () => {
    expect(extensionsCheck(inspection({ extensions: ['pg_trgm'] }), facts())).toEqual({ id: 'extensions', status: 'ok', title: 'Extensions', detail: 'Available on the target: pg_trgm.' });
    expect(extensionsCheck(inspection(), facts()).detail).toBe('The archive needs no extensions.');
    expect(extensionsCheck(inspection({ extensions: ['pg_trgm', 'postgis'] }), facts())).toEqual({
      id: 'extensions', status: 'blocker', title: 'Extensions missing on the target', detail: 'The archive needs extensions the target server does not have installed: postgis.',
      fix: 'Install their packages on the target server (e.g. postgresql-NN-postgis), then try again.',
    });
  });
});

describe('spaceCheck', () => {
  const archive = inspection({ lifeboat: lifeboat({ manifest: manifest([{ estimatedBytes: 60_000_000 }, { estimatedBytes: 40_000_000 }]) }) });
  const free = (bytes: number) => ({ bytes, where: '/var/lib/postgresql' });

  it('passes with half again as much free space as the table data', () => {
    expect(spaceCheck(archive, free(200_000_000))).toEqual({ id: 'space', status: 'ok', title: 'Disk space', detail: '200 MB free where the server keeps its data; the restore needs about 100 MB of table data (indexes come on top).' });
  });

  it('warns when it is tight and blocks when it cannot fit', () => {
    expect(spaceCheck(archive, free(120_000_000))).toEqual({ id: 'space', status: 'warning', title: 'Disk space', detail: '120 MB free where the server keeps its data; the restore needs about 100 MB of table data (indexes come on top).', fix: 'Free space on the server, or restore to another server.' });
    expect(spaceCheck(archive, free(5_000_000))).toEqual({ id: 'space', status: 'blocker', title: 'Disk space', detail: '5.0 MB free where the server keeps its data; the restore needs about 100 MB of table data (indexes come on top).', fix: 'Free space on the server, or restore to another server.' });
  });

  it('says "unknown", never ✓, when the free space or the space needed cannot be known — and does not block', () => {
    expect(spaceCheck(inspection(), null)).toEqual({
      id: 'space', status: 'unknown', title: 'Free space unknown',
      detail: 'Lifeboat cannot read the free space where the server keeps its data (a server on another computer, or a role that may not see its data folder); the restore needs an amount unknown before restoring (the file is 2.5 MB; compressed dumps often grow 3–10×).',
      fix: 'Check the free space on the server before a large restore. If it runs out, the restore stops and Lifeboat removes what it created.',
    });
    // A Lifeboat archive on a remote server: what it needs is known, the free space is not.
    expect(spaceCheck(archive, null)).toMatchObject({ status: 'unknown', detail: expect.stringContaining('the restore needs about 100 MB of table data (indexes come on top).') });
    // A plain dump on this computer: the free space is known, what it needs is not.
    expect(spaceCheck(inspection(), free(50_000_000))).toEqual({
      id: 'space', status: 'unknown', title: 'Space needed unknown',
      detail: '50 MB free where the server keeps its data; how much the restore needs is unknown before restoring (the file is 2.5 MB; compressed dumps often grow 3–10×).',
      fix: "Make sure the server has several times the file's size free. If it runs out, the restore stops and Lifeboat removes what it created.",
    });
    for (const item of [spaceCheck(inspection(), null), spaceCheck(archive, null), spaceCheck(inspection(), free(50_000_000))]) expect(firstBlocker([item])).toBeUndefined();
  });

  it('warns when there is less free space than the file itself, even though the space needed is unknown', () => {
    expect(spaceCheck(inspection(), free(1_000))).toMatchObject({ status: 'warning', title: 'Disk space', fix: 'Free space on the server, or restore to another server.' });
  });
});

describe('target checks', () => {
  it('blocks a role that may not create databases, except for rows-only restores', () => {
    expect(createPermissionCheck(facts(), options())).toBeNull();
    expect(createPermissionCheck(facts({ canCreateDatabase: false, currentUser: 'app' }), options({ mode: 'data-only' }))).toBeNull();
    expect(createPermissionCheck(facts({ canCreateDatabase: false, currentUser: 'app' }), options())).toEqual({
      id: 'target', status: 'blocker', title: 'No permission to create databases', detail: 'app may not create databases on this server.', fix: 'Use a profile whose role has CREATEDB (or is a superuser).',
    });
  });

  it('new: passes a free name and blocks an existing database', () => {
    expect(targetCheck(target(), options())).toEqual({ id: 'target', status: 'ok', title: 'Target', detail: 'A new database "shop_copy" will be created; nothing existing is changed.' });
    expect(targetCheck(target({ exists: true }), options())).toEqual({ id: 'target', status: 'blocker', title: 'A database named "shop_copy" already exists', detail: 'Restoring into a new database never touches an existing one.', fix: 'Choose another name, or use "replace" to swap it.' });
  });

  it('replace: needs the database and its owner or a superuser', () => {
    const replace = options({ mode: 'replace', database: 'shop' });
    expect(targetCheck(target({ exists: true, owner: 'app' }), replace)).toEqual({ id: 'target', status: 'ok', title: 'Target', detail: '"shop" will be restored as a new database, verified, then swapped in; the current one is kept as "shop_before_restore_…".' });
    expect(targetCheck(target(), replace)).toEqual({ id: 'target', status: 'blocker', title: 'There is no database "shop" to replace', detail: 'Replace swaps an existing database.', fix: 'Restore into a new database instead.' });
    expect(targetCheck(target({ exists: true, owner: 'app', facts: facts({ superuser: false, currentUser: 'clerk' }) }), replace)).toEqual({
      id: 'target', status: 'blocker', title: 'Renaming is not permitted', detail: 'Replace swaps by renaming, which needs the owner (app) or a superuser; clerk is neither.',
      fix: 'Use a profile of the owner or a superuser, or restore into a new database and switch your application to it.',
    });
    expect(targetCheck(target({ exists: true, owner: 'app', facts: facts({ superuser: false, currentUser: 'app' }) }), replace).status).toBe('ok');
  });

  it('data-only: needs an existing database', () => {
    const rows = options({ mode: 'data-only', database: 'shop' });
    expect(targetCheck(target({ exists: true }), rows)).toEqual({ id: 'target', status: 'ok', title: 'Target', detail: 'Rows of the chosen tables are added to "shop" in one transaction: all or nothing.' });
    expect(targetCheck(target(), rows)).toEqual({ id: 'target', status: 'blocker', title: 'There is no database "shop"', detail: 'Data-only restores add rows to an existing database.', fix: 'Choose an existing database.' });
  });
});

describe('tablesCheck', () => {
  it('passes tables in the archive and blocks others', () => {
    expect(tablesCheck(inspection(), options({ tables: ['public.orders'] }))).toEqual({ id: 'tables', status: 'ok', title: 'Selected tables', detail: 'public.orders' });
    expect(tablesCheck(inspection(), options({ tables: ['public.orders', 'public.nope'] }))).toEqual({ id: 'tables', status: 'blocker', title: 'Tables not in the archive', detail: 'Not found: public.nope.', fix: "Pick tables from the archive's list (schema.table)." });
  });

  it('blocks a rows-only restore without tables, and says nothing otherwise', () => {
    expect(tablesCheck(inspection(), options({ mode: 'data-only' }))).toEqual({ id: 'tables', status: 'blocker', title: 'No tables chosen', detail: 'A data-only restore brings back the rows of tables you pick.', fix: 'Choose one or more tables.' });
    expect(tablesCheck(inspection(), options())).toBeNull();
  });
});

describe('sessionsCheck', () => {
  const session = { pid: 1, user: 'app', client: '10.0.0.5', application: 'web', state: 'idle', since: null };

  it('passes when nobody is connected, and says nothing for a new database', () => {
    expect(sessionsCheck(target({ exists: true }), options({ mode: 'replace', database: 'shop' }))).toEqual({ id: 'sessions', status: 'ok', title: 'Sessions', detail: 'Nobody is connected to "shop".' });
    expect(sessionsCheck(target({ exists: true, sessions: [session] }), options())).toBeNull();
    expect(sessionsCheck(target({ exists: false, sessions: [session] }), options({ mode: 'replace' }))).toBeNull();
  });

  it('warns that a replace ends sessions, and informs for rows-only restores', () => {
    expect(sessionsCheck(target({ exists: true, sessions: [session] }), options({ mode: 'replace', database: 'shop' }))).toEqual({
      id: 'sessions', status: 'warning', title: '1 active session(s) on "shop"', detail: 'app@10.0.0.5 (web, idle). They are ended at the swap (new connections are blocked first).',
    });
    expect(sessionsCheck(target({ exists: true, sessions: [session, { ...session, user: 'bob' }] }), options({ mode: 'data-only', database: 'shop' }))).toEqual({
      id: 'sessions', status: 'info', title: '2 active session(s) on "shop"', detail: 'app@10.0.0.5 (web, idle); bob@10.0.0.5 (web, idle).',
    });
  });
});

describe('safetyBackupCheck and confirmationCheck', () => {
  const replace = options({ mode: 'replace', database: 'shop' });

  it('apply to replace only', () => {
    expect(safetyBackupCheck(options())).toBeNull();
    expect(confirmationCheck(options({ mode: 'data-only' }))).toBeNull();
  });

  it('passes a safety backup and warns when it is off', () => {
    expect(safetyBackupCheck(replace)).toEqual({ id: 'safety-backup', status: 'ok', title: 'Safety backup', detail: '"shop" is backed up first (an encrypted archive in its backup folder).' });
    expect(safetyBackupCheck({ ...replace, safetyBackup: false })).toEqual({ id: 'safety-backup', status: 'warning', title: 'No safety backup', detail: 'You turned the safety backup off: the kept copy is the only way back.' });
  });

  it('blocks until the database name is typed', () => {
    expect(confirmationCheck({ ...replace, confirm: 'shop' })).toEqual({ id: 'confirmation', status: 'ok', title: 'Confirmed', detail: 'You typed "shop".' });
    expect(confirmationCheck({ ...replace, confirm: 'sho' })).toEqual({ id: 'confirmation', status: 'blocker', title: 'Confirmation needed', detail: 'Type the database name "shop" to confirm the replace.', fix: 'Type the database name to confirm (in the CLI: add --yes).' });
  });
});

describe('buildChecklist', () => {
  it('composes the checks in order', async () => {
    const items = await buildChecklist(
      inspection({ unsafe: unsafe(1), toc: { entries: [] } as unknown as Inspection['toc'], tables: [] }),
      target({ exists: true, owner: 'postgres', sessions: [], freeSpace: null }),
      options({ mode: 'replace', database: 'shop', confirm: 'shop' }),
    );
    expect(items.map((i) => `${i.id}:${i.status}`)).toEqual([
      'trust:blocker', 'privileges:info', 'identity:ok', 'versions:ok', 'roles:ok', 'extensions:ok', 'space:unknown', 'target:ok', 'sessions:ok', 'safety-backup:ok', 'confirmation:ok',
    ]);
    expect(firstBlocker(items)?.id).toBe('trust');
  });

  it('a plain SQL script without a version header: version and space are "unknown" (never ✓), nothing blocks, and the CLI says unknown', async () => {
    const script = inspection({ path: '/dumps/app.sql', inner: 'sql', label: 'Plain SQL script', sourceServerVersion: null, dumpedBy: null, dumpMajor: null, sql: { lines: 3, connects: [], createsDatabase: false, needsAutocommit: [] } });
    const items = await buildChecklist(script, target({ freeSpace: { bytes: 80_000_000_000, where: '/var/lib/postgresql' } }), options());
    expect(items.filter((i) => i.status === 'unknown').map((i) => i.id)).toEqual(['versions', 'space']);
    expect(items.filter((i) => ['versions', 'space'].includes(i.id)).every((i) => i.status !== 'ok')).toBe(true);
    expect(firstBlocker(items)).toBeUndefined();
    const text = describeItems(items);
    expect(text).toContain('  ? Source version unknown: Source: PostgreSQL unknown;');
    expect(text).toContain('  ? Space needed unknown: 80 GB free where the server keeps its data;');
    expect(describeItems([{ id: 'space', status: 'unknown', title: 'Disk space', detail: 'x' }])).toBe('  ? Disk space (unknown): x');
  });

  it('refuses a malformed per-role choice', async () => {
    await expect(buildChecklist(inspection(), target(), options({ privilegedRoleAttributes: { app: ['everything' as 'superuser'] } }))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('stays importable from restore-inspect.ts', () => {
    expect(viaInspect.buildChecklist).toBe(buildChecklist);
    expect(viaInspect.firstBlocker).toBe(firstBlocker);
    expect(viaInspect.runsRestricted).toBe(runsRestricted);
  });
});
