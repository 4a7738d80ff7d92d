// zod schemas for every Invoke payload: the renderer is untrusted, so main parses before the engine sees anything.
import path from 'node:path';
import { z } from 'zod';
import { PRIVILEGED_ROLE_ATTRIBUTES } from '../engine/restore/role-definitions.ts';
import { PROFILE_COLORS, SSH_AUTH_METHODS, SSL_MODES } from '../engine/types.ts';
import type { InvokeChannel } from './contract.ts';

const MAX_TEXT = 1000;
const id = z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/, 'an id has only letters, digits and dashes');
const text = (max = MAX_TEXT) => z.string().max(max).refine((s) => !s.includes('\0'), 'must not contain NUL');

/** An absolute, already-normalised path: relative paths and ".." segments are refused. */
export const absolutePath = text(4096).refine(
  (p) => path.isAbsolute(p) && path.normalize(p) === p && !p.split(/[\\/]/).includes('..'),
  'must be an absolute path without ".." segments',
);

const optionalPath = z.union([absolutePath, z.literal('')]).optional();

const sshHop = {
  host: text(255),
  port: z.number().int().min(1).max(65535),
  user: text(100),
  auth: z.enum(SSH_AUTH_METHODS),
  keyFile: optionalPath,
};

const sshRoute = {
  ...sshHop,
  jumps: z.array(z.object(sshHop).strict()).max(8),
  keepAliveSeconds: z.number().int().min(0).max(3600),
};
const sshSettings = z.object(sshRoute).strict();

/** A password or key passphrase per hop (jumps first): bounded, never echoed back; undefined keeps a saved one, null forgets it. */
const sshSecrets = z.array(z.union([text(MAX_TEXT), z.null(), z.undefined()])).max(9);

/** A fingerprint as OpenSSH prints it: "SHA256:" and 43 base64 characters. */
export const hostKeyFingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be a SHA256:… host key fingerprint');

/** Which databases a profile backs up; the engine checks the names (profiles/database-scope.ts). */
const databaseScope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('list'), databases: z.array(text(63)).min(1).max(1000) }).strict(),
  z.object({ kind: z.literal('all'), exclude: z.array(text(63)).max(100), includeMaintenance: z.boolean(), includeTemplates: z.boolean() }).strict(),
]);

export const profileInput = z
  .object({
    name: text(200),
    host: text(255),
    port: z.number().int().min(1).max(65535),
    database: text(63),
    user: text(63),
    sslmode: z.enum(SSL_MODES),
    sslRootCert: optionalPath,
    sslCert: optionalPath,
    sslKey: optionalPath,
    color: z.enum(PROFILE_COLORS),
    backupFolder: optionalPath.nullable(),
    canaryQueries: z.array(z.object({ name: text(100), sql: text(10_000) }).strict()).max(20).nullable().optional(),
    ssh: sshSettings.nullable().optional(),
    scope: databaseScope.nullable().optional(),
    password: z.union([text(MAX_TEXT), z.null()]).optional(),
    sshSecrets: sshSecrets.optional(),
    keepPasswordForNewServer: z.boolean().optional(),
  })
  .strict();

export const importSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('uri'), uri: text(2000).min(1) }).strict(),
  z.object({ kind: z.literal('pgpass'), file: absolutePath.optional() }).strict(),
  z.object({ kind: z.literal('env') }).strict(),
]);

const archivePath = absolutePath.refine((p) => p.endsWith('.lifeboat'), 'must be a .lifeboat archive');
/** A whole-server run's record; which records may be drilled (only listed ones) is checked in the handler. */
const runRecordPath = absolutePath.refine((p) => p.endsWith('.lifeboat-run.json'), 'must be a .lifeboat-run.json run record');
export const runDrillRequest = z.object({ file: runRecordPath }).strict();
const recipient = z.string().max(200).regex(/^age1[02-9ac-hj-np-z]{20,}$/, 'must be an age1… public key');

export const settingsPatch = z
  .object({
    pgToolsDir: z.union([absolutePath, z.null()]).optional(),
    backupFolder: z.union([absolutePath, z.null()]).optional(),
    libraryFolders: z.array(absolutePath).max(50).optional(),
    encryptionMode: z.enum(['key', 'passphrase', 'recipients']).optional(),
    extraRecipients: z.array(recipient).max(50).optional(),
    compression: z.enum(['zstd', 'gzip']).optional(),
    compressionLevel: z.number().int().min(0).max(19).optional(),
    serverRunConcurrency: z.number().int().min(1).max(8).optional(),
    exactRowCounts: z.boolean().optional(),
    includeRolePasswords: z.boolean().optional(),
    drillAfterBackup: z.boolean().optional(),
    // Seconds, 1 s to 7 days (MAX_RECOVERY_TARGET_SECONDS in settings-store.ts checks the same); null clears it.
    recoveryTargetSeconds: z.union([z.number().int().min(1).max(604_800), z.null()]).optional(),
    keepInTray: z.boolean().optional(),
    startAtLogin: z.boolean().optional(),
    timeZone: z.union([text(64).regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, 'must be an IANA time zone such as Europe/Berlin'), z.null()]).optional(),
  })
  .strict();

const openKeys = {
  passphrase: z.string().min(1).max(1000).optional(),
  identityFile: absolutePath.optional(),
};

/** A database name on either side of a run restore; the engine checks it again (restore-names.ts). */
const runDatabaseName = text(63).min(1);
/**
 * Restoring a run's databases: which record (only a listed one: checked in the handler), the target
 * profile, a subset and new names, the role and owner choices, and keys as for one archive.
 */
export const runRestoreRequest = z
  .object({
    file: runRecordPath,
    profileId: id,
    databases: z.array(runDatabaseName).min(1).max(1000).optional(),
    rename: z
      .record(runDatabaseName, runDatabaseName)
      .refine((names) => Object.keys(names).length <= 1000, 'at most 1000 new names')
      .optional(),
    createMissingRoles: z.boolean().optional(),
    noOwner: z.boolean().optional(),
    noPrivileges: z.boolean().optional(),
    ...openKeys,
  })
  .strict();
export const restoreRequest = z
  .object({
    file: absolutePath,
    profileId: id,
    mode: z.enum(['new', 'replace', 'data-only']),
    database: text(63).min(1),
    tables: z.array(text(200).regex(/^[^.]+\..+$/, 'must be schema.table')).max(1000).optional(),
    noOwner: z.boolean().optional(),
    noPrivileges: z.boolean().optional(),
    keepOwners: z.boolean().optional(),
    createMissingRoles: z.boolean().optional(),
    // Per role name: the privileged attributes the archive gives it that the user chose to keep.
    privilegedRoleAttributes: z
      .record(text(63).min(1).refine((name) => Buffer.byteLength(name) <= 63, 'a role name is at most 63 bytes'), z.array(z.enum(PRIVILEGED_ROLE_ATTRIBUTES)).max(PRIVILEGED_ROLE_ATTRIBUTES.length))
      .refine((choice) => Object.keys(choice).length <= 1000, 'at most 1000 roles')
      .optional(),
    safetyBackup: z.boolean().optional(),
    confirm: text(63).optional(),
    trust: text(100).optional(),
    jobs: z.number().int().min(1).max(16).optional(),
    ...openKeys,
  })
  .strict();

const drillChoices = {
  scratch: z.union([z.literal('embedded'), z.object({ profileId: id }).strict()]),
  keep: z.boolean().optional(),
  trust: text(100).optional(),
  ...openKeys,
};
export const drillRequest = z.object({ file: absolutePath, ...drillChoices }).strict();

/** An archive in a destination, by the names Lifeboat gives archives: a file name, never a path (the engine checks it again). */
export const remoteArchiveName = z.string().max(255).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.lifeboat$/, 'must be the file name of an archive in the destination');
export const remoteDrillRequest = z.object({ destinationId: id, name: remoteArchiveName, ...drillChoices }).strict();
const drillId = z.string().min(1).max(80).regex(/^[\w-]+$/, 'must be a drill id');

const scheduleSpec = z
  .object({
    preset: z.enum(['hourly', 'daily', 'weekly', 'monthly', 'cron']),
    time: z.string().regex(/^\d{1,2}:\d{2}$/).optional(),
    weekday: z.number().int().min(0).max(6).optional(),
    dayOfMonth: z.number().int().min(1).max(28).optional(),
    cron: text(200).optional(),
    enabled: z.boolean(),
  })
  .strict();
const retentionPolicy = z
  .object({
    keepLast: z.number().int().min(0).max(10_000),
    keepDaily: z.number().int().min(0).max(10_000),
    keepWeekly: z.number().int().min(0).max(10_000),
    keepMonthly: z.number().int().min(0).max(10_000),
    keepYearly: z.number().int().min(0).max(10_000),
    keepMinimum: z.number().int().min(0).max(10_000),
  })
  .strict();
export const schedulePatch = z
  .object({
    backup: z.union([scheduleSpec, z.null()]).optional(),
    drill: z.union([scheduleSpec, z.null()]).optional(),
    drillAfterBackup: z.boolean().optional(),
    retention: retentionPolicy.optional(),
    autoPrune: z.boolean().optional(),
    notify: z
      .object({
        webhookUrl: z.union([z.string().url().max(2000).regex(/^https?:\/\//, 'must be an http(s) URL'), z.null()]).optional(),
        onSuccess: z.boolean().optional(),
        desktop: z.boolean().optional(),
        staleHours: z.union([z.number().int().min(1).max(24 * 365), z.null()]).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * An S3 location as typed in the destination form: bounded here, checked field by field by the engine
 * (destination-validation.ts), which names what is wrong and how to fix it.
 */
const s3Location = z
  .object({
    endpoint: text(500).regex(/^https?:\/\/[^\s]+$/i, 'must be an http(s) URL'),
    region: text(100),
    bucket: text(255),
    prefix: text(1024),
    pathStyle: z.boolean(),
    accessKeyId: text(256),
    storageClass: text(100).optional(),
    objectLockDays: z.number().int().min(1).max(36_500).optional(),
    partChecksums: z.boolean(),
  })
  .strict();

/**
 * An SFTP destination's folder on the SSH host: absolute, no "." or ".." parts, no backslashes or
 * control characters (sftp-location.ts checks it again and names the fix).
 */
const sftpFolder = text(1024).refine((f) => f.startsWith('/') && !/[\p{Cc}\\]/u.test(f) && !f.split('/').some((part) => part === '.' || part === '..'), 'must be an absolute folder without "." or ".." parts');

/** An SFTP destination as typed in the form: the SSH route of a profile's tunnel (key files chosen in a dialog: checked in the handler) and the folder. */
const sftpLocation = z.object({ ...sshRoute, folder: sftpFolder }).strict();

export const destinationAdd = z
  .object({
    name: text(200).min(1),
    profileId: id,
    s3: s3Location.optional(),
    // The one time the secret key crosses from the page: bounded, never echoed back.
    secretKey: z.string().min(1).max(1000).refine((s) => !s.includes('\0'), 'must not contain NUL').optional(),
    sftp: sftpLocation.optional(),
    sshSecrets: sshSecrets.optional(),
  })
  .strict()
  .superRefine((request, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (Boolean(request.s3) === Boolean(request.sftp)) issue('a destination is exactly one of s3 and sftp');
    else if (request.s3 && request.sshSecrets !== undefined) issue('sshSecrets are for an SFTP destination');
    else if (request.sftp && request.secretKey !== undefined) issue('secretKey is for an S3 destination');
    else if (request.sftp && request.sshSecrets && request.sshSecrets.length > request.sftp.jumps.length + 1) issue('at most one SSH secret per hop');
  });

const fileFilter = z.object({ name: text(100), extensions: z.array(z.string().max(20).regex(/^[\w*]+$/)).max(20) }).strict();

/** Argument tuples per channel. */
export const invokeSchemas = {
  'app:info': z.tuple([]),
  'profiles:list': z.tuple([]),
  'profiles:add': z.tuple([profileInput]),
  'profiles:update': z.tuple([id, profileInput]),
  'profiles:duplicate': z.tuple([id]),
  'profiles:remove': z.tuple([id]),
  'profiles:test': z.tuple([id, z.array(hostKeyFingerprint).max(9)]),
  'profiles:test-input': z.tuple([profileInput, z.union([id, z.null()]), z.array(hostKeyFingerprint).max(9)]),
  'profiles:import-preview': z.tuple([importSource]),
  'profiles:import-save': z.tuple([importSource, z.union([text(80).min(1), z.null()])]),
  'tools:report': z.tuple([]),
  'settings:get': z.tuple([]),
  'settings:update': z.tuple([settingsPatch]),
  'dialog:choose-file': z.tuple([text(200), z.array(fileFilter).max(10)]),
  'dialog:choose-folder': z.tuple([text(200)]),
  'dialog:choose-save-file': z.tuple([text(200), text(255).regex(/^[^/\\]+$/, 'must be a file name without folders')]),
  'backups:start': z.tuple([z.object({ profileId: id, encryption: z.enum(['settings', 'none']) }).strict()]),
  'jobs:cancel': z.tuple([id]),
  'jobs:active': z.tuple([]),
  'library:folders': z.tuple([]),
  'library:listing': z.tuple([z.object({ profile: text(200).optional(), database: text(200).optional() }).strict()]),
  'library:details': z.tuple([archivePath]),
  'library:verify': z.tuple([archivePath, z.enum(['quick', 'full'])]),
  'library:delete': z.tuple([archivePath]),
  'library:import': z.tuple([absolutePath]),
  // An archive, or a whole-server run's record beside its archives (library folders only: checked in the handler).
  'library:reveal': z.tuple([z.union([archivePath, runRecordPath])]),
  'keys:status': z.tuple([]),
  'keys:export-recovery': z.tuple([absolutePath]),
  'keys:set-passphrase': z.tuple([z.union([z.string().min(1).max(1000), z.null()])]),
  // The key file must be one the open dialog just returned (checked in the handler).
  'keys:import-recovery': z.tuple([absolutePath]),
  'restore:inspect': z.tuple([absolutePath, z.object(openKeys).strict()]),
  'restore:preflight': z.tuple([restoreRequest]),
  'restore:start': z.tuple([restoreRequest]),
  'drills:start': z.tuple([drillRequest]),
  'runs:list': z.tuple([]),
  'runs:drill': z.tuple([runDrillRequest]),
  'runs:restore-preflight': z.tuple([runRestoreRequest]),
  'runs:restore': z.tuple([runRestoreRequest]),
  'drills:history': z.tuple([z.object({ profile: text(200).optional(), archive: absolutePath.optional() }).strict()]),
  'drills:open-report': z.tuple([drillId]),
  'drills:export-report': z.tuple([drillId, absolutePath]),
  'schedules:list': z.tuple([]),
  'schedules:set': z.tuple([id, schedulePatch]),
  'schedules:preview-retention': z.tuple([id, retentionPolicy]),
  'schedules:prune': z.tuple([id]),
  'schedules:run-due': z.tuple([]),
  'schedules:test-webhook': z.tuple([id]),
  'schedules:test-desktop': z.tuple([]),
  'schedules:os-job': z.tuple([]),
  'schedules:install-os-job': z.tuple([]),
  'schedules:uninstall-os-job': z.tuple([]),
  'health:overview': z.tuple([]),
  'activity:list': z.tuple([
    z.object({
      what: z.enum(['backup', 'restore', 'drill', 'verify', 'prune', 'schedule', 'settings', 'notification', 'copy']).optional(),
      profile: text(200).optional(),
      result: z.enum(['ok', 'failed', 'cancelled', 'info']).optional(),
      limit: z.number().int().min(1).max(10_000).optional(),
    }).strict(),
  ]),
  'activity:export': z.tuple([absolutePath]),
  'destinations:list': z.tuple([z.object({ profileId: id.optional() }).strict()]),
  'destinations:add': z.tuple([destinationAdd]),
  'destinations:remove': z.tuple([id]),
  // acceptHostKeys: SFTP host keys the user just chose to trust in the host-key dialog (as profiles:test).
  'destinations:test': z.tuple([id, z.array(hostKeyFingerprint).max(9)]),
  'copies:states': z.tuple([z.object({ file: archivePath.optional() }).strict()]),
  // Which files may be copied (library folders only) is checked in the handler.
  'copies:start': z.tuple([z.object({ file: archivePath, destinationId: id }).strict()]),
  'copies:listRemote': z.tuple([id]),
  'copies:verifyRemote': z.tuple([id, remoteArchiveName]),
  // The folder must be one a folder dialog just returned (checked in the handler).
  'copies:download': z.tuple([id, remoteArchiveName, absolutePath]),
  'copies:fetch': z.tuple([id, remoteArchiveName]),
  // Only a temporary copy main made for copies:fetch is removed (checked in the handler).
  'copies:discardFetched': z.tuple([archivePath]),
  'copies:drillRemote': z.tuple([remoteDrillRequest]),
  'demo:status': z.tuple([]),
  'demo:start': z.tuple([]),
  'demo:remove': z.tuple([]),
  'restore:drop-kept': z.tuple([id, text(63).regex(/_before_restore_\d{8}T\d{6}Z$/, 'must be a copy kept by a replace')]),
  'restore:target-databases': z.tuple([id]),
} satisfies Record<InvokeChannel, z.ZodType>;
