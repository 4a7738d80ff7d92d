import os from 'node:os';
import path from 'node:path';
// Every IPC channel is validated in main before the engine sees anything; the renderer is untrusted.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/index.ts';
import type { InvokeChannel } from '../../main/ipc/contract.ts';
import { FollowUps } from '../../main/engine/jobs/follow-ups.ts';
import { createDispatcher, createHandlers, type ShellPorts } from '../../main/ipc/handlers.ts';
import { invokeSchemas } from '../../main/ipc/schemas.ts';
import { API_CHANNELS } from '../../preload/api.ts';

const CHANNELS = Object.keys(invokeSchemas) as InvokeChannel[];
const HUGE = 'x'.repeat(1_000_000);
const LISTED_RUN = '/backups/prod_server_20261122T010000Z.lifeboat-run.json';
const TRAVERSAL = '../../etc/passwd';

/** An engine whose every service method records the call instead of running. */
function recordingEngine(): { engine: Engine; calls: string[] } {
  const calls: string[] = [];
  const service = (name: string) => new Proxy({}, { get: (_t, method) => (...args: unknown[]) => { calls.push(`${name}.${String(method)}`); return args; } });
  const engine = {
    dataDir: '/tmp/x',
    backups: { start: (...args: unknown[]) => { calls.push('backups.start'); return fakeJob(args); } },
    library: new Proxy({}, { get: (_t, method) => (...args: unknown[]) => { calls.push(`library.${String(method)}`); return method === 'verify' ? fakeJob(args) : method === 'folders' ? ['/backups'] : args; } }),
    keys: service('keys'),
    demo: service('demo'),
    schedules: service('schedules'),
    activity: { list: async () => { calls.push('activity.list'); return []; } },
    health: { overview: async () => { calls.push('health.overview'); return { at: new Date().toISOString(), recoveryTargetSeconds: null, profiles: [], attention: 0, noLimit: 0 }; } },
    osJob: service('osJob'),
    followUps: new FollowUps(),
    drills: new Proxy({}, { get: (_t, method) => (...args: unknown[]) => { calls.push(`drills.${String(method)}`); return method === 'start' ? fakeJob(args) : method === 'reportPath' ? import.meta.filename : args; } }),
    restores: new Proxy({}, { get: (_t, method) => (...args: unknown[]) => { calls.push(`restores.${String(method)}`); return method === 'start' ? fakeJob(args) : method === 'preflight' ? { inspection: { lifeboat: null } } : method === 'inspect' ? { lifeboat: null } : args; } }),
    secrets: { status: () => ({ available: true, message: '' }), storage: 'keychain' },
    profiles: service('profiles'),
    tools: service('tools'),
    settings: { get: () => ({ pgToolsDir: null, backupFolder: null, libraryFolders: [], encryptionMode: 'key', extraRecipients: [] }), update: (p: unknown) => { calls.push('settings.update'); return p; } },
    destinations: new Proxy({}, { get: (_t, method) => (...args: unknown[]) => { calls.push(`destinations.${String(method)}`); return method === 'check' ? { name: 'offsite', profileId: 'abc-123', profileName: 'prod', s3: {}, where: 's3://b/ at https://s3.example.com' } : method === 'get' || method === 'find' ? { id: 'dest-1', name: 'offsite' } : args; } }),
    // One listed run: runs:drill drills only a record runs.list returned.
    runs: { list: async () => { calls.push('runs.list'); return [{ file: LISTED_RUN, record: {} }]; } },
    runDrills: { start: (...args: unknown[]) => { calls.push('runDrills.start'); return fakeJob(args); } },
    // A run restore's checklist holds each database's inspection: main strips it for the page as for one archive.
    runRestores: {
      preflight: async () => { calls.push('runRestores.preflight'); return { run: { id: 'r', profile: 'prod', startedAt: '', serverVersion: '18.0' }, parts: [{ source: 'shop', target: 'shop', archive: '/backups/shop.lifeboat', preflight: { ok: true, items: [], inspection: { toc: 'the TOC', lifeboat: { globals: 'CREATE ROLE a PASSWORD \'SCRAM-SHA-256$secret\';' } } } }], items: [], ok: true }; },
      start: (...args: unknown[]) => { calls.push('runRestores.start'); return fakeJob(args); },
    },
    copies: new Proxy({}, { get: (_t, method) => (...args: unknown[]) => { calls.push(`copies.${String(method)}`); return method === 'fetchForUse' ? fakeJob({ file: `/tmp/lifeboat-restore-1-abc/${String(args[1])}`, sha256: 'a'.repeat(64), bytes: 1, release: async () => {} }) : ['start', 'verifyRemote', 'download'].includes(String(method)) ? fakeJob(args) : args; } }),
  } as unknown as Engine;
  return { engine, calls };
}

function fakeJob(args: unknown) {
  return { id: 'job-1', kind: 'backup', result: Promise.resolve(args), onProgress: () => () => {}, cancel() {}, lastProgress: () => null };
}

/** Shell ports that record what reached them; their dialogs return `chosen` (null: cancelled). */
function recordingShell(calls: string[], chosen: string | null = null): ShellPorts {
  const record = (name: string) => async () => {
    calls.push(`shell.${name}`);
    return chosen;
  };
  return { appVersion: '0', chooseFile: record('chooseFile'), chooseFolder: record('chooseFolder'), chooseSaveFile: record('chooseSaveFile'), confirm: async () => true, revealInFolder: () => void calls.push('shell.reveal'), openPath: () => void calls.push('shell.openPath'), notify: () => void calls.push('shell.notify'), runDueCommand: () => ({ executable: '/bin/true', args: [] }), emit: () => {} };
}

const validS3 = { endpoint: 'https://s3.eu-central-1.amazonaws.com', region: 'eu-central-1', bucket: 'team-backups', prefix: 'lifeboat/', pathStyle: false, accessKeyId: 'AKIAEXAMPLE', partChecksums: true };
const validDestination = { name: 'offsite', profileId: 'abc-123', s3: validS3, secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const validSftp = { host: 'nas.example.com', port: 22, user: 'backup', auth: 'agent', jumps: [{ host: 'bastion.example.com', port: 2222, user: 'me', auth: 'password' }], keepAliveSeconds: 30, folder: '/srv/backups/lifeboat' };
const validSftpDestination = { name: 'nas', profileId: 'abc-123', sftp: validSftp, sshSecrets: ['jump password', null] };
const validProfile = { name: 'prod', host: 'db.example.com', port: 5432, database: 'app', user: 'app', sslmode: 'require', color: 'blue' };

const VALID: Record<InvokeChannel, unknown[]> = {
  'app:info': [],
  'profiles:list': [],
  'profiles:add': [validProfile],
  'profiles:update': ['0b6c-id', { ...validProfile, password: null }],
  'profiles:duplicate': ['abc-123'],
  'profiles:remove': ['abc-123'],
  'profiles:test': ['abc-123', ['SHA256:' + 'x'.repeat(43)]],
  'profiles:test-input': [{ ...validProfile, password: 'typed', canaryQueries: [{ name: 'orders', sql: 'SELECT count(*) FROM orders' }] }, null, []],
  'profiles:import-preview': [{ kind: 'uri', uri: 'postgres://u@h/db' }],
  'profiles:import-save': [{ kind: 'pgpass', file: '/home/me/.pgpass' }, null],
  'tools:report': [],
  'settings:get': [],
  'settings:update': [{ pgToolsDir: '/usr/lib/postgresql/17/bin' }],
  'dialog:choose-file': ['CA certificate', [{ name: 'Certificates', extensions: ['crt', 'pem'] }]],
  'dialog:choose-folder': ['Backup folder'],
  'dialog:choose-save-file': ['Export the recovery key', 'lifeboat-recovery-key.txt'],
  'backups:start': [{ profileId: 'abc-123', encryption: 'settings' }],
  'jobs:cancel': ['job-1'],
  'jobs:active': [],
  'library:folders': [],
  'library:listing': [{ profile: 'prod' }],
  'library:details': ['/backups/prod_app_20261122T010000Z.lifeboat'],
  'library:verify': ['/backups/prod_app_20261122T010000Z.lifeboat', 'full'],
  'library:delete': ['/backups/prod_app_20261122T010000Z.lifeboat'],
  'library:import': ['/home/me/Downloads/old.lifeboat'],
  'library:reveal': ['/backups/prod_app_20261122T010000Z.lifeboat'],
  'keys:status': [],
  'keys:export-recovery': ['/home/me/lifeboat-recovery-key.txt'],
  'keys:set-passphrase': ['a long passphrase'],
  'keys:import-recovery': ['/home/me/lifeboat-recovery-key.txt'],
  'restore:inspect': ['/home/me/Downloads/shop.dump', {}],
  'restore:preflight': [{ file: '/home/me/shop.sql.gz', profileId: 'abc-123', mode: 'new', database: 'shop_restored' }],
  'restore:start': [{ file: '/backups/x.lifeboat', profileId: 'abc-123', mode: 'replace', database: 'shop', confirm: 'shop', safetyBackup: true, passphrase: 'pw' }],
  'restore:drop-kept': ['abc-123', 'shop_before_restore_20261122T010000Z'],
  'restore:target-databases': ['abc-123'],
  'drills:start': [{ file: '/backups/x.lifeboat', scratch: 'embedded' }],
  'runs:list': [],
  'runs:drill': [{ file: LISTED_RUN }],
  'runs:restore-preflight': [{ file: LISTED_RUN, profileId: 'abc-123', databases: ['shop', 'crm'], rename: { crm: 'crm_from_old' }, createMissingRoles: true }],
  'runs:restore': [{ file: LISTED_RUN, profileId: 'abc-123', rename: { shop: 'shop_2026' }, createMissingRoles: false, noOwner: true, noPrivileges: true, passphrase: 'pw' }],
  'schedules:list': [],
  'schedules:set': ['abc-123', { backup: { preset: 'daily', time: '01:00', enabled: true }, notify: { webhookUrl: 'https://hooks.example.com/x' } }],
  'schedules:preview-retention': ['abc-123', { keepLast: 0, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 0, keepMinimum: 3 }],
  'schedules:prune': ['abc-123'],
  'schedules:run-due': [],
  'schedules:test-webhook': ['abc-123'],
  'schedules:test-desktop': [],
  'schedules:os-job': [],
  'schedules:install-os-job': [],
  'schedules:uninstall-os-job': [],
  'health:overview': [],
  'activity:list': [{ what: 'backup', limit: 50 }],
  'activity:export': [path.join(os.tmpdir(), `lifeboat-ipc-activity-${process.pid}.jsonl`)],
  'demo:status': [],
  'demo:start': [],
  'demo:remove': [],
  'drills:history': [{ profile: 'prod' }],
  'drills:open-report': ['20261122T010000Z-abc123'],
  'drills:export-report': ['20261122T010000Z-abc123', path.join(os.tmpdir(), `lifeboat-ipc-report-${process.pid}.html`)],
  'destinations:list': [{ profileId: 'abc-123' }],
  'destinations:add': [{ ...validDestination, s3: { ...validS3, storageClass: 'STANDARD_IA', objectLockDays: 30 } }],
  'destinations:remove': ['5f0c7a8e-1b2c-4d5e-8f90-123456789abc'],
  'destinations:test': ['5f0c7a8e-1b2c-4d5e-8f90-123456789abc', ['SHA256:' + 'x'.repeat(43)]],
  'copies:states': [{ file: '/backups/prod_app_20261122T010000Z.lifeboat' }],
  'copies:start': [{ file: '/backups/prod_app_20261122T010000Z.lifeboat', destinationId: '5f0c7a8e-1b2c-4d5e-8f90-123456789abc' }],
  'copies:listRemote': ['5f0c7a8e-1b2c-4d5e-8f90-123456789abc'],
  'copies:verifyRemote': ['5f0c7a8e-1b2c-4d5e-8f90-123456789abc', 'prod_app_20261122T010000Z.lifeboat'],
  'copies:download': ['5f0c7a8e-1b2c-4d5e-8f90-123456789abc', 'prod_app_20261122T010000Z.lifeboat', '/home/me/Downloads'],
  'copies:fetch': ['5f0c7a8e-1b2c-4d5e-8f90-123456789abc', 'prod_app_20261122T010000Z.lifeboat'],
  'copies:discardFetched': ['/tmp/lifeboat-restore-1-abc/prod_app_20261122T010000Z.lifeboat'],
  'copies:drillRemote': [{ destinationId: '5f0c7a8e-1b2c-4d5e-8f90-123456789abc', name: 'prod_app_20261122T010000Z.lifeboat', scratch: 'embedded', trust: 'I trust where this file came from' }],
};

/** Invalid payloads that apply to every channel, plus targeted ones (paths, ids, enums). */
function invalidPayloads(channel: InvokeChannel): { label: string; args: unknown[] }[] {
  const valid = VALID[channel];
  const cases = [
    { label: 'an extra argument', args: [...valid, 'extra'] },
    { label: 'a non-array payload', args: 'not-an-array' as unknown as unknown[] },
  ];
  if (valid.length > 0) {
    cases.push({ label: 'a missing argument', args: valid.slice(0, -1) });
    cases.push({ label: 'a number instead of the first argument', args: [42, ...valid.slice(1)] });
    cases.push({ label: 'a huge string', args: [HUGE, ...valid.slice(1)] });
    cases.push({ label: 'a prototype-polluting object', args: [JSON.parse('{"__proto__":{"admin":true}}'), ...valid.slice(1)] });
  }
  return cases;
}

const TARGETED: { channel: InvokeChannel; label: string; args: unknown[] }[] = [
  { channel: 'profiles:add', label: 'CA path traversal', args: [{ ...validProfile, sslmode: 'verify-full', sslRootCert: TRAVERSAL }] },
  { channel: 'profiles:add', label: 'a relative key path', args: [{ ...validProfile, sslKey: 'key.pem', sslCert: '/c.crt' }] },
  { channel: 'profiles:add', label: 'a path with .. inside', args: [{ ...validProfile, sslCert: '/home/me/../../etc/shadow', sslKey: '/k' }] },
  { channel: 'profiles:add', label: 'a missing host', args: [{ ...validProfile, host: undefined }] },
  { channel: 'profiles:add', label: 'a host of 10,000 characters', args: [{ ...validProfile, host: 'h'.repeat(10_000) }] },
  { channel: 'profiles:add', label: 'a port as string', args: [{ ...validProfile, port: '5432' }] },
  { channel: 'profiles:add', label: 'an unknown sslmode', args: [{ ...validProfile, sslmode: 'sometimes' }] },
  { channel: 'profiles:add', label: 'an unknown field', args: [{ ...validProfile, isAdmin: true }] },
  { channel: 'profiles:add', label: 'a huge password', args: [{ ...validProfile, password: HUGE }] },
  { channel: 'profiles:add', label: 'a NUL in the name', args: [{ ...validProfile, name: 'a\0b' }] },
  { channel: 'profiles:update', label: 'an id with path traversal', args: [TRAVERSAL, validProfile] },
  { channel: 'profiles:test-input', label: 'a profile id with path traversal', args: [validProfile, TRAVERSAL, []] },
  { channel: 'profiles:test-input', label: 'a host key that is no fingerprint', args: [validProfile, null, ['yes']] },
  { channel: 'profiles:remove', label: 'an empty id', args: [''] },
  { channel: 'profiles:import-preview', label: 'a pgpass path traversal', args: [{ kind: 'pgpass', file: TRAVERSAL }] },
  { channel: 'profiles:import-preview', label: 'an unknown import kind', args: [{ kind: 'shell', command: 'rm -rf /' }] },
  { channel: 'settings:update', label: 'a relative tools folder', args: [{ pgToolsDir: '../bin' }] },
  { channel: 'settings:update', label: 'an unknown setting', args: [{ pgToolsDir: null, telemetry: true }] },
  { channel: 'dialog:choose-file', label: 'a filter extension with a slash', args: ['t', [{ name: 'x', extensions: ['../x'] }]] },
  { channel: 'dialog:choose-save-file', label: 'a default name with a folder', args: ['t', '../../etc/passwd'] },
  { channel: 'backups:start', label: 'an unknown encryption', args: [{ profileId: 'abc', encryption: 'rot13' }] },
  { channel: 'backups:start', label: 'an out folder smuggled in', args: [{ profileId: 'abc', encryption: 'none', outDir: '/etc' }] },
  { channel: 'library:details', label: 'path traversal', args: [TRAVERSAL] },
  { channel: 'library:delete', label: 'a file that is not an archive', args: ['/etc/passwd'] },
  { channel: 'library:delete', label: 'a path with ..', args: ['/backups/../etc/x.lifeboat'] },
  { channel: 'library:verify', label: 'an unknown level', args: ['/b/x.lifeboat', 'paranoid'] },
  { channel: 'keys:export-recovery', label: 'a relative file', args: ['key.txt'] },
  { channel: 'keys:import-recovery', label: 'a relative key file', args: ['key.txt'] },
  { channel: 'keys:import-recovery', label: 'a key file path with ..', args: ['/home/me/../../root/key.txt'] },
  { channel: 'restore:target-databases', label: 'a profile id with path traversal', args: [TRAVERSAL] },
  { channel: 'settings:update', label: 'a recipient that is not age1', args: [{ extraRecipients: ['ssh-ed25519 AAAA'] }] },
  { channel: 'settings:update', label: 'a relative library folder', args: [{ libraryFolders: ['../x'] }] },
  { channel: 'restore:inspect', label: 'path traversal', args: [TRAVERSAL, {}] },
  { channel: 'restore:inspect', label: 'a relative identity file', args: ['/x.dump', { identityFile: 'key.txt' }] },
  { channel: 'restore:start', label: 'an unknown mode', args: [{ file: '/x.dump', profileId: 'a', mode: 'merge', database: 'd' }] },
  { channel: 'restore:start', label: 'a table without schema', args: [{ file: '/x.dump', profileId: 'a', mode: 'data-only', database: 'd', tables: ['orders'] }] },
  { channel: 'restore:start', label: '100 parallel jobs', args: [{ file: '/x.dump', profileId: 'a', mode: 'new', database: 'd', jobs: 100 }] },
  { channel: 'restore:preflight', label: 'a database name over 63 characters', args: [{ file: '/x.dump', profileId: 'a', mode: 'new', database: 'd'.repeat(64) }] },
  { channel: 'restore:drop-kept', label: 'dropping any database', args: ['a', 'production'] },
  { channel: 'schedules:set', label: 'a webhook that is not http', args: ['abc', { notify: { webhookUrl: 'file:///etc/passwd' } }] },
  { channel: 'schedules:set', label: 'a negative retention count', args: ['abc', { retention: { keepLast: -1, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 0, keepMinimum: 3 } }] },
  { channel: 'schedules:set', label: 'an unknown preset', args: ['abc', { backup: { preset: 'fortnightly', enabled: true } }] },
  { channel: 'activity:export', label: 'a relative file', args: ['activity.jsonl'] },
  { channel: 'settings:update', label: 'a time zone with path characters', args: [{ timeZone: '../../etc/localtime' }] },
  { channel: 'drills:start', label: 'an unknown scratch', args: [{ file: '/x.lifeboat', scratch: 'docker' }] },
  { channel: 'runs:drill', label: 'a relative record', args: [{ file: 'prod_server_20261122T010000Z.lifeboat-run.json' }] },
  { channel: 'runs:drill', label: 'a record path with ..', args: [{ file: '/backups/../home/me/x.lifeboat-run.json' }] },
  { channel: 'runs:drill', label: 'a file that is not a run record', args: [{ file: '/home/me/.ssh/id_rsa' }] },
  { channel: 'runs:drill', label: 'an archive instead of a run record', args: [{ file: '/backups/prod_app_20261122T010000Z.lifeboat' }] },
  { channel: 'runs:drill', label: 'a scratch server smuggled in', args: [{ file: LISTED_RUN, scratch: { profileId: 'abc' } }] },
  { channel: 'runs:drill', label: 'a record path as a bare string', args: [LISTED_RUN] },
  { channel: 'runs:list', label: 'a folder to list smuggled in', args: [{ folders: ['/etc'] }] },
  ...(['runs:restore-preflight', 'runs:restore'] as const).flatMap((channel) => {
    const valid = { file: LISTED_RUN, profileId: 'abc-123' };
    return [
      { channel, label: 'a relative record', args: [{ ...valid, file: 'prod_server_20261122T010000Z.lifeboat-run.json' }] },
      { channel, label: 'a record path with ..', args: [{ ...valid, file: '/backups/../home/me/x.lifeboat-run.json' }] },
      { channel, label: 'a file that is not a run record', args: [{ ...valid, file: '/home/me/.ssh/id_rsa' }] },
      { channel, label: 'an archive instead of a run record', args: [{ ...valid, file: '/backups/prod_app_20261122T010000Z.lifeboat' }] },
      { channel, label: 'a missing target profile', args: [{ file: LISTED_RUN }] },
      { channel, label: 'a profile id with path traversal', args: [{ ...valid, profileId: TRAVERSAL }] },
      { channel, label: 'a database name over 63 characters', args: [{ ...valid, databases: ['d'.repeat(64)] }] },
      { channel, label: 'an empty database name', args: [{ ...valid, databases: [''] }] },
      { channel, label: 'an empty list of databases', args: [{ ...valid, databases: [] }] },
      { channel, label: '1001 databases', args: [{ ...valid, databases: Array.from({ length: 1001 }, (_, i) => `db${i}`) }] },
      { channel, label: 'a database name as a number', args: [{ ...valid, databases: [42] }] },
      { channel, label: 'a NUL in a database name', args: [{ ...valid, databases: ['a\0b'] }] },
      { channel, label: 'a new name over 63 characters', args: [{ ...valid, rename: { shop: 'n'.repeat(64) } }] },
      { channel, label: 'an empty new name', args: [{ ...valid, rename: { shop: '' } }] },
      { channel, label: 'a new name as a number', args: [{ ...valid, rename: { shop: 42 } }] },
      { channel, label: 'a source name over 63 characters', args: [{ ...valid, rename: { ['s'.repeat(64)]: 'x' } }] },
      { channel, label: '1001 new names', args: [{ ...valid, rename: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`db${i}`, `new${i}`])) }] },
      { channel, label: 'new names as a list', args: [{ ...valid, rename: [['shop', 'x']] }] },
      { channel, label: 'a replace smuggled in', args: [{ ...valid, mode: 'replace', confirm: 'shop' }] },
      { channel, label: 'the trust phrase smuggled in', args: [{ ...valid, trust: 'I trust where this file came from' }] },
      { channel, label: '100 parallel jobs smuggled in', args: [{ ...valid, jobs: 100 }] },
      { channel, label: 'create missing roles as text', args: [{ ...valid, createMissingRoles: 'yes' }] },
      { channel, label: 'a relative identity file', args: [{ ...valid, identityFile: 'key.txt' }] },
      { channel, label: 'an empty passphrase', args: [{ ...valid, passphrase: '' }] },
      { channel, label: 'a record path as a bare string', args: [LISTED_RUN] },
    ];
  }),
  { channel: 'drills:open-report', label: 'a report id with path traversal', args: ['../../etc/passwd'] },
  { channel: 'drills:export-report', label: 'a relative target file', args: ['abc', 'report.html'] },
  { channel: 'destinations:list', label: 'an unknown filter', args: [{ profileId: 'abc', all: true }] },
  { channel: 'destinations:list', label: 'a profile id with path traversal', args: [{ profileId: TRAVERSAL }] },
  { channel: 'destinations:add', label: 'a secret key of a megabyte', args: [{ ...validDestination, secretKey: HUGE }] },
  { channel: 'destinations:add', label: 'a NUL in the secret key', args: [{ ...validDestination, secretKey: 'a\0b' }] },
  { channel: 'destinations:add', label: 'an empty secret key', args: [{ ...validDestination, secretKey: '' }] },
  { channel: 'destinations:add', label: 'an endpoint that is not http(s)', args: [{ ...validDestination, s3: { ...validS3, endpoint: 'file:///etc/passwd' } }] },
  { channel: 'destinations:add', label: 'the secret key binding smuggled in', args: [{ ...validDestination, secretEndpoint: 'https://evil.example.com|b|k' }] },
  { channel: 'destinations:add', label: 'an unknown S3 field', args: [{ ...validDestination, s3: { ...validS3, acl: 'public-read' } }] },
  { channel: 'destinations:add', label: 'a missing bucket', args: [{ ...validDestination, s3: { ...validS3, bucket: undefined } }] },
  { channel: 'destinations:add', label: 'path-style as text', args: [{ ...validDestination, s3: { ...validS3, pathStyle: 'yes' } }] },
  { channel: 'destinations:add', label: 'negative Object Lock days', args: [{ ...validDestination, s3: { ...validS3, objectLockDays: -1 } }] },
  { channel: 'destinations:add', label: 'fractional Object Lock days', args: [{ ...validDestination, s3: { ...validS3, objectLockDays: 1.5 } }] },
  { channel: 'destinations:add', label: 'a bucket of 10,000 characters', args: [{ ...validDestination, s3: { ...validS3, bucket: 'b'.repeat(10_000) } }] },
  { channel: 'destinations:add', label: 'a profile id with path traversal', args: [{ ...validDestination, profileId: TRAVERSAL }] },
  { channel: 'destinations:add', label: 'both a bucket and an SFTP folder', args: [{ ...validSftpDestination, s3: validS3 }] },
  { channel: 'destinations:add', label: 'neither a bucket nor an SFTP folder', args: [{ name: 'nowhere', profileId: 'abc-123' }] },
  { channel: 'destinations:add', label: 'an S3 secret key with an SFTP folder', args: [{ ...validSftpDestination, secretKey: 'x' }] },
  { channel: 'destinations:add', label: 'SSH secrets with a bucket', args: [{ ...validDestination, sshSecrets: ['x'] }] },
  { channel: 'destinations:add', label: 'an SFTP folder with ..', args: [{ ...validSftpDestination, sftp: { ...validSftp, folder: '/srv/backups/../../root/.ssh' } }] },
  { channel: 'destinations:add', label: 'a relative SFTP folder', args: [{ ...validSftpDestination, sftp: { ...validSftp, folder: 'backups' } }] },
  { channel: 'destinations:add', label: 'an SFTP folder with a backslash', args: [{ ...validSftpDestination, sftp: { ...validSftp, folder: '/srv\\..\\x' } }] },
  { channel: 'destinations:add', label: 'an SFTP folder with a control character', args: [{ ...validSftpDestination, sftp: { ...validSftp, folder: '/srv/a\nb' } }] },
  { channel: 'destinations:add', label: 'an SFTP folder of 10,000 characters', args: [{ ...validSftpDestination, sftp: { ...validSftp, folder: `/${'f'.repeat(10_000)}` } }] },
  { channel: 'destinations:add', label: 'a relative SSH key file', args: [{ ...validSftpDestination, sftp: { ...validSftp, auth: 'key', keyFile: '.ssh/id_ed25519' } }] },
  { channel: 'destinations:add', label: 'an SSH key file with ..', args: [{ ...validSftpDestination, sftp: { ...validSftp, auth: 'key', keyFile: '/home/me/../../root/.ssh/id_rsa' } }] },
  { channel: 'destinations:add', label: 'an unknown SSH login method', args: [{ ...validSftpDestination, sftp: { ...validSftp, auth: 'kerberos' } }] },
  { channel: 'destinations:add', label: 'an unknown SFTP field', args: [{ ...validSftpDestination, sftp: { ...validSftp, proxyCommand: 'nc evil 22' } }] },
  { channel: 'destinations:add', label: 'an unknown jump host field', args: [{ ...validSftpDestination, sftp: { ...validSftp, jumps: [{ ...validSftp.jumps[0], proxyCommand: 'sh' }] } }] },
  { channel: 'destinations:add', label: '20 jump hosts', args: [{ ...validSftpDestination, sftp: { ...validSftp, jumps: Array.from({ length: 20 }, () => validSftp.jumps[0]) } }] },
  { channel: 'destinations:add', label: 'an SFTP port out of range', args: [{ ...validSftpDestination, sftp: { ...validSftp, port: 70_000 } }] },
  { channel: 'destinations:add', label: 'a keep-alive of a day', args: [{ ...validSftpDestination, sftp: { ...validSftp, keepAliveSeconds: 86_400 } }] },
  { channel: 'destinations:add', label: 'an SSH secret of a megabyte', args: [{ ...validSftpDestination, sshSecrets: [HUGE, null] }] },
  { channel: 'destinations:add', label: 'a NUL in an SSH secret', args: [{ ...validSftpDestination, sshSecrets: ['a\0b', null] }] },
  { channel: 'destinations:add', label: 'more SSH secrets than hops', args: [{ ...validSftpDestination, sshSecrets: ['a', 'b', 'c'] }] },
  { channel: 'destinations:add', label: '1000 SSH secrets', args: [{ ...validSftpDestination, sshSecrets: Array.from({ length: 1000 }, () => 'x') }] },
  { channel: 'destinations:add', label: 'an SSH secret as a number', args: [{ ...validSftpDestination, sshSecrets: [42, null] }] },
  { channel: 'destinations:remove', label: 'an id with path traversal', args: [TRAVERSAL] },
  { channel: 'destinations:test', label: 'an empty id', args: ['', []] },
  { channel: 'destinations:test', label: 'a host key that is not a SHA256 fingerprint', args: ['abc-123', ['MD5:aa:bb']] },
  { channel: 'destinations:test', label: '100 host keys', args: ['abc-123', Array.from({ length: 100 }, () => 'SHA256:' + 'x'.repeat(43))] },
  { channel: 'destinations:test', label: 'a host key of a megabyte', args: ['abc-123', [HUGE]] },
  { channel: 'copies:states', label: 'a relative file', args: [{ file: 'x.lifeboat' }] },
  { channel: 'copies:states', label: 'an unknown filter', args: [{ destination: 'offsite' }] },
  { channel: 'copies:start', label: 'an SSH key to upload', args: [{ file: path.join(os.homedir(), '.ssh', 'id_rsa'), destinationId: 'abc' }] },
  { channel: 'copies:start', label: 'path traversal out of the library', args: [{ file: '/backups/../home/me/.ssh/id_rsa.lifeboat', destinationId: 'abc' }] },
  { channel: 'copies:start', label: 'a relative archive', args: [{ file: 'x.lifeboat', destinationId: 'abc' }] },
  { channel: 'copies:start', label: 'the object name smuggled in', args: [{ file: '/backups/x.lifeboat', destinationId: 'abc', key: '../other-bucket/x' }] },
  { channel: 'copies:start', label: 'a destination id with a slash', args: [{ file: '/backups/x.lifeboat', destinationId: 'a/b' }] },
  { channel: 'copies:listRemote', label: 'a destination id with path traversal', args: [TRAVERSAL] },
  ...(['copies:verifyRemote', 'copies:fetch'] as const).flatMap((channel) => [
    { channel, label: 'an archive name with path traversal', args: ['abc', '../../etc/x.lifeboat'] },
    { channel, label: 'an archive name with a folder', args: ['abc', 'other-prefix/x.lifeboat'] },
    { channel, label: 'an archive name with a backslash', args: ['abc', '..\\x.lifeboat'] },
    { channel, label: 'a hidden name', args: ['abc', '.x.lifeboat'] },
    { channel, label: 'a name that is not an archive', args: ['abc', 'id_rsa'] },
    { channel, label: 'a NUL in the name', args: ['abc', 'x\0.lifeboat'] },
    { channel, label: 'an absolute path as the name', args: ['abc', '/home/me/.ssh/id_rsa.lifeboat'] },
    { channel, label: 'a destination id with path traversal', args: [TRAVERSAL, 'x.lifeboat'] },
  ]),
  { channel: 'copies:download', label: 'a relative folder', args: ['abc', 'x.lifeboat', 'Downloads'] },
  { channel: 'copies:download', label: 'a folder with ..', args: ['abc', 'x.lifeboat', '/home/me/../../etc'] },
  { channel: 'copies:download', label: 'an archive name with a folder', args: ['abc', '../x.lifeboat', '/home/me'] },
  { channel: 'copies:discardFetched', label: 'a file that is not an archive', args: ['/home/me/.bashrc'] },
  { channel: 'copies:discardFetched', label: 'a relative archive', args: ['x.lifeboat'] },
  { channel: 'copies:discardFetched', label: 'a path with ..', args: ['/tmp/lifeboat-restore-1-a/../../home/me/x.lifeboat'] },
  { channel: 'copies:drillRemote', label: 'a local file smuggled in', args: [{ destinationId: 'abc', name: 'x.lifeboat', scratch: 'embedded', file: '/home/me/.psql_history' }] },
  { channel: 'copies:drillRemote', label: 'an archive name with a folder', args: [{ destinationId: 'abc', name: '../x.lifeboat', scratch: 'embedded' }] },
  { channel: 'copies:drillRemote', label: 'an unknown scratch', args: [{ destinationId: 'abc', name: 'x.lifeboat', scratch: 'docker' }] },
  { channel: 'copies:drillRemote', label: 'a relative identity file', args: [{ destinationId: 'abc', name: 'x.lifeboat', scratch: 'embedded', identityFile: 'key.txt' }] },
];

type DialogChannel = 'dialog:choose-file' | 'dialog:choose-folder' | 'dialog:choose-save-file';
const DIALOG_ARGS: Record<DialogChannel, unknown[]> = { 'dialog:choose-file': ['Choose', []], 'dialog:choose-folder': ['Choose'], 'dialog:choose-save-file': ['Save', 'x.txt'] };
/** Channels whose path must have come from a dialog: which dialog, and the path it returned. */
const CHOSEN_IN_DIALOG: Partial<Record<InvokeChannel, { dialog: DialogChannel; path: string }>> = {
  'library:import': { dialog: 'dialog:choose-file', path: VALID['library:import']![0] as string },
  'restore:inspect': { dialog: 'dialog:choose-file', path: VALID['restore:inspect']![0] as string },
  'restore:preflight': { dialog: 'dialog:choose-file', path: (VALID['restore:preflight']![0] as { file: string }).file },
  'profiles:import-save': { dialog: 'dialog:choose-file', path: (VALID['profiles:import-save']![0] as { file: string }).file },
  'keys:export-recovery': { dialog: 'dialog:choose-save-file', path: VALID['keys:export-recovery']![0] as string },
  'keys:import-recovery': { dialog: 'dialog:choose-file', path: VALID['keys:import-recovery']![0] as string },
  'activity:export': { dialog: 'dialog:choose-save-file', path: VALID['activity:export']![0] as string },
  'drills:export-report': { dialog: 'dialog:choose-save-file', path: VALID['drills:export-report']![1] as string },
  'settings:update': { dialog: 'dialog:choose-folder', path: (VALID['settings:update']![0] as { pgToolsDir: string }).pgToolsDir },
  'copies:download': { dialog: 'dialog:choose-folder', path: VALID['copies:download']![2] as string },
};

describe('IPC contract', () => {
  it('has a schema for every channel the preload exposes, and nothing else', () => {
    const exposed = Object.values(API_CHANNELS).flatMap((group) => Object.values(group)).sort();
    expect(exposed).toEqual([...CHANNELS].sort());
  });

  it.each(CHANNELS)('%s: a valid payload reaches the engine', async (channel) => {
    const { engine, calls } = recordingEngine();
    const chosen = CHOSEN_IN_DIALOG[channel];
    const dispatch = createDispatcher(createHandlers(engine, recordingShell(calls, chosen?.path ?? null)));
    // Paths the page writes to or reads from must come from a dialog the user answered first.
    if (chosen) expect((await dispatch(chosen.dialog, DIALOG_ARGS[chosen.dialog])).ok).toBe(true);
    const result = await dispatch(channel, VALID[channel]);
    expect(result.ok, JSON.stringify(result)).toBe(true);
    // A temporary copy main did not make is nothing to discard: no engine call.
    if (!['app:info', 'settings:get', 'jobs:cancel', 'jobs:active', 'copies:discardFetched'].includes(channel)) expect(calls.length).toBeGreaterThan(0);
  });

  it.each(CHANNELS)('%s: invalid payloads are rejected with an error and never reach the engine', async (channel) => {
    const { engine, calls } = recordingEngine();
    const dispatch = createDispatcher(createHandlers(engine, recordingShell(calls)));
    for (const { label, args } of [...invalidPayloads(channel), ...TARGETED.filter((t) => t.channel === channel)]) {
      const result = await dispatch(channel, args);
      expect(result.ok, `${channel} with ${label}`).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('INVALID_INPUT');
        expect(result.error.message).toContain(channel);
        expect(result.error.message.length).toBeLessThan(500);
      }
    }
    expect(calls).toEqual([]);
  });

  it('refuses unknown channels', async () => {
    const { engine, calls } = recordingEngine();
    const dispatch = createDispatcher(createHandlers(engine, recordingShell(calls)));
    const result = await dispatch('fs:read' as InvokeChannel, ['/etc/passwd']);
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(calls).toEqual([]);
  });

  it('turns engine errors into data with code, message and fix — never a stack', async () => {
    const { engine, calls } = recordingEngine();
    const { LifeboatError } = await import('../../main/engine/errors.ts');
    (engine as unknown as { profiles: object }).profiles = { list: () => { throw new LifeboatError('PROFILE_NOT_FOUND', 'There is no profile named "x".', 'Add one.'); } };
    const dispatch = createDispatcher(createHandlers(engine, recordingShell(calls)));
    expect(await dispatch('profiles:list', [])).toEqual({ ok: false, error: { code: 'PROFILE_NOT_FOUND', message: 'There is no profile named "x".', fix: 'Add one.' } });
  });
});

describe('whole-server runs the page names', () => {
  it('runs:drill drills only a run record runs.list returned: a look-alike path is refused before any drill starts', async () => {
    const { engine, calls } = recordingEngine();
    const dispatch = createDispatcher(createHandlers(engine, recordingShell(calls)));
    const planted = await dispatch('runs:drill', [{ file: '/backups/planted_server_20261122T010000Z.lifeboat-run.json' }]);
    expect(planted).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('is not a whole-server run this Lifeboat lists') } });
    expect(calls).toEqual(['runs.list']);
    expect(await dispatch('runs:drill', [{ file: LISTED_RUN }])).toMatchObject({ ok: true, value: { jobId: 'job-1' } });
    expect(calls).toEqual(['runs.list', 'runs.list', 'runDrills.start']);
  });
});

describe('whole-server run restores the page asks for', () => {
  it('runs:restore-preflight and runs:restore use only a run record runs.list returned: a look-alike path is refused before anything is read', async () => {
    const { engine, calls } = recordingEngine();
    const dispatch = createDispatcher(createHandlers(engine, recordingShell(calls)));
    const planted = '/backups/planted_server_20261122T010000Z.lifeboat-run.json';
    for (const channel of ['runs:restore-preflight', 'runs:restore'] as const) {
      expect(await dispatch(channel, [{ file: planted, profileId: 'abc-123' }]), channel).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('is not a whole-server run this Lifeboat lists, so it is not restored') } });
    }
    expect(calls).toEqual(['runs.list', 'runs.list']);
    expect(await dispatch('runs:restore', [{ file: LISTED_RUN, profileId: 'abc-123' }])).toMatchObject({ ok: true, value: { jobId: 'job-1' } });
    expect(calls).toEqual(['runs.list', 'runs.list', 'runs.list', 'runRestores.start']);
  });

  it('the engine gets the target profile, the choices, and new names no database name can look past (no prototype); the page gets no TOC or globals', async () => {
    const { engine, calls } = recordingEngine();
    const seen: Record<string, unknown>[] = [];
    const preflight = engine.runRestores.preflight.bind(engine.runRestores);
    (engine as unknown as { runRestores: object }).runRestores = { preflight: (request: Record<string, unknown>) => (seen.push(request), preflight(request as never)) };
    const dispatch = createDispatcher(createHandlers(engine, recordingShell(calls)));
    const checked = await dispatch('runs:restore-preflight', [{ file: LISTED_RUN, profileId: 'abc-123', databases: ['shop', 'constructor'], rename: { shop: 'shop_2026' }, createMissingRoles: true }]);
    expect(checked).toMatchObject({ ok: true, value: { ok: true, parts: [{ source: 'shop', preflight: { inspection: { toc: null, lifeboat: { globals: '' } } } }] } });
    expect(JSON.stringify(checked)).not.toContain('SCRAM');
    const [request] = seen;
    expect(request).toMatchObject({ file: LISTED_RUN, profile: 'abc-123', databases: ['shop', 'constructor'], createMissingRoles: true, keys: { identities: [], passphrases: [] } });
    const rename = request!.rename as Record<string, string>;
    expect({ ...rename }).toEqual({ shop: 'shop_2026' });
    expect(rename.constructor).toBeUndefined();
    expect(rename.toString).toBeUndefined();
  });
});

describe('SFTP destinations the page adds', () => {
  const keyFile = '/home/me/.ssh/id_ed25519';
  const withKey = { ...validSftpDestination, sftp: { ...validSftp, auth: 'key', keyFile } };

  it('a route that logs in with the agent and a password reaches the engine, its secrets per hop, after the question in main', async () => {
    const { engine, calls } = recordingEngine();
    const dispatch = createDispatcher(createHandlers(engine, recordingShell(calls)));
    expect(await dispatch('destinations:add', [validSftpDestination])).toMatchObject({ ok: true });
    expect(calls).toEqual(['destinations.check', 'destinations.add']);
  });

  it('a key file is used only when the user chose it in the open dialog: one the page names is refused before anything is asked', async () => {
    const { engine, calls } = recordingEngine();
    const dispatch = createDispatcher(createHandlers(engine, recordingShell(calls, keyFile)));
    for (const args of [withKey, { ...validSftpDestination, sftp: { ...validSftp, jumps: [{ ...validSftp.jumps[0], auth: 'key', keyFile }] } }]) {
      const refused = await dispatch('destinations:add', [args]);
      expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('was not chosen in an open dialog') } });
    }
    expect(calls).toEqual([]);
    expect((await dispatch('dialog:choose-file', ['Choose the private key', []])).ok).toBe(true);
    expect(await dispatch('destinations:add', [withKey])).toMatchObject({ ok: true });
    expect(calls).toEqual(['shell.chooseFile', 'destinations.check', 'destinations.add']);
  });

  it('destinations:test passes the host keys the user trusted to the engine', async () => {
    const { engine, calls } = recordingEngine();
    const seen: unknown[] = [];
    (engine as unknown as { destinations: object }).destinations = { test: (...args: unknown[]) => { seen.push(args); return { ok: true, checks: [], durationMs: 1 }; } };
    const dispatch = createDispatcher(createHandlers(engine, recordingShell(calls)));
    const fingerprint = 'SHA256:' + 'y'.repeat(43);
    expect(await dispatch('destinations:test', ['dest-1', [fingerprint]])).toMatchObject({ ok: true });
    expect(seen).toEqual([['dest-1', { acceptHostKeys: [fingerprint] }]]);
  });
});

describe('offsite copies the engine starts on its own', () => {
  it('a copy after a backup is tracked like any job: its progress names the archive and destination, its outcome is a copy', async () => {
    const { engine, calls } = recordingEngine();
    const emitted: { channel: string; args: unknown[] }[] = [];
    const shell = { ...recordingShell(calls), emit: (channel: string, ...args: unknown[]) => void emitted.push({ channel, args }) } as ShellPorts;
    const dispatch = createDispatcher(createHandlers(engine, shell));
    let report: (p: object) => void = () => {};
    let finish: (v: unknown) => void = () => {};
    const value = { destination: 'offsite', archive: '/backups/x.lifeboat', key: 'lifeboat/x.lifeboat', bytes: 10, sha256: 'a'.repeat(64), partsSent: 1, partsResumed: 0, durationMs: 5, verifiedAt: '2026-11-22T01:00:00Z' };
    const last = { jobId: 'copy-1', kind: 'copy', phase: 'Uploading', fraction: 0.4, bytes: 4, bytesPerSecond: null, etaSeconds: null, currentItem: 'offsite', message: null };
    const job = {
      id: 'copy-1',
      kind: 'copy',
      result: new Promise((resolve) => (finish = resolve)),
      onProgress: (listener: (p: object) => void) => ((report = listener), () => {}),
      cancel() {},
      lastProgress: () => last,
    };
    engine.followUps.add(job as never, { kind: 'backup', archive: '/backups/x.lifeboat', destination: 'offsite' });
    report(last);
    const subject = { file: '/backups/x.lifeboat', destinationId: 'dest-1', destinationName: 'offsite' };
    expect(emitted).toEqual([{ channel: 'jobs:progress', args: [{ ...last, copy: subject }] }]);
    expect(await dispatch('jobs:active', [])).toEqual({ ok: true, value: [{ ...last, copy: subject }] });
    finish(value);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(emitted.at(-1)).toEqual({ channel: 'jobs:finished', args: [{ jobId: 'copy-1', kind: 'copy', ok: true, value }] });
    expect(await dispatch('jobs:active', [])).toEqual({ ok: true, value: [] });
  });
});

/** A job whose progress and end the test drives. */
function drivenJob(id: string, kind: string) {
  let report: (p: object) => void = () => {};
  let finish: (v: unknown) => void = () => {};
  let fail: (e: unknown) => void = () => {};
  const job = {
    id,
    kind,
    result: new Promise((resolve, reject) => ((finish = resolve), (fail = reject))),
    onProgress: (listener: (p: object) => void) => ((report = listener), () => {}),
    cancel() {},
    lastProgress: () => null,
  };
  job.result.catch(() => {});
  return { job, report: (p: object) => report(p), finish: (v: unknown) => finish(v), fail: (e: unknown) => fail(e) };
}

describe('jobs on remote archives, and copies resumed at start', () => {
  const progressOf = (jobId: string, kind: string) => ({ jobId, kind, phase: 'Downloading', fraction: 0.5, bytes: 5, bytesPerSecond: 1e6, etaSeconds: 1, currentItem: 'offsite', message: null });

  it('a copy the engine resumes is tracked like a copy after a backup', async () => {
    const { engine, calls } = recordingEngine();
    const emitted: unknown[][] = [];
    createHandlers(engine, { ...recordingShell(calls), emit: (...args: unknown[]) => void emitted.push(args) } as ShellPorts);
    const { job, report } = drivenJob('copy-2', 'copy');
    engine.followUps.add(job as never, { kind: 'resume', archive: '/backups/x.lifeboat', destination: 'offsite' });
    report(progressOf('copy-2', 'copy'));
    expect(emitted).toEqual([['jobs:progress', { ...progressOf('copy-2', 'copy'), copy: { file: '/backups/x.lifeboat', destinationId: 'dest-1', destinationName: 'offsite' } }]]);
  });

  it('verify, download and fetch tell the window which remote archive they work on, in progress and outcome', async () => {
    const { engine, calls } = recordingEngine();
    const driven = { verifyRemote: drivenJob('v-1', 'verify'), download: drivenJob('d-1', 'copy'), fetchForUse: drivenJob('f-1', 'download') };
    (engine as unknown as { copies: object }).copies = Object.fromEntries(Object.entries(driven).map(([method, d]) => [method, () => d.job]));
    const emitted: { channel: string; args: unknown[] }[] = [];
    const shell = { ...recordingShell(calls, '/home/me/Downloads'), emit: (channel: string, ...args: unknown[]) => void emitted.push({ channel, args }) } as ShellPorts;
    const dispatch = createDispatcher(createHandlers(engine, shell));
    const name = 'prod_app_20261122T010000Z.lifeboat';
    const remote = (action: string) => ({ destinationId: 'dest-1', destinationName: 'offsite', name, action });

    const verifying = await dispatch('copies:verifyRemote', ['dest-1', name]);
    expect(verifying).toMatchObject({ ok: true, value: { jobId: expect.any(String) } });
    const verifyId = (verifying as { value: { jobId: string } }).value.jobId;
    await new Promise((resolve) => setTimeout(resolve, 0));
    driven.verifyRemote.report(progressOf('v-1', 'verify'));
    expect(emitted.at(-1)).toEqual({ channel: 'jobs:progress', args: [{ ...progressOf(verifyId, 'verify'), remote: remote('verify') }] });
    const verified = { destination: 'offsite', key: name, bytes: 5, sha256: 'a'.repeat(64), ok: true, checks: ['SHA-256 matches'] };
    driven.verifyRemote.finish(verified);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(emitted.at(-1)).toEqual({ channel: 'jobs:finished', args: [{ jobId: verifyId, kind: 'verify', ok: true, value: verified, remote: remote('verify') }] });

    // A download goes only into a folder a dialog just returned, and is a job of its own kind.
    expect(await dispatch('copies:download', ['dest-1', name, '/home/me/Downloads'])).toMatchObject({ ok: false, error: { message: expect.stringContaining('was not chosen in a folder dialog') } });
    expect((await dispatch('dialog:choose-folder', ['Download into'])).ok).toBe(true);
    const started = await dispatch('copies:download', ['dest-1', name, '/home/me/Downloads']);
    expect(started).toMatchObject({ ok: true });
    driven.download.fail(Object.assign(new Error('gone'), { code: 'FILE_NOT_FOUND' }));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(emitted.at(-1)).toMatchObject({ channel: 'jobs:finished', args: [{ kind: 'download', ok: false, remote: remote('download') }] });

    // A fetched copy is readable by its path once held; its release is the engine's.
    expect(await dispatch('copies:fetch', ['dest-1', name])).toEqual({ ok: true, value: { jobId: 'f-1' } });
    let released = 0;
    driven.fetchForUse.finish({ file: `/tmp/lifeboat-restore-1-abc/${name}`, sha256: 'b'.repeat(64), bytes: 7, destination: 'offsite', name, release: async () => void released++ });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(emitted.at(-1)).toEqual({ channel: 'jobs:finished', args: [{ jobId: 'f-1', kind: 'download', ok: true, value: { file: `/tmp/lifeboat-restore-1-abc/${name}`, sha256: 'b'.repeat(64), bytes: 7 }, remote: remote('restore') }] });
    expect(await dispatch('restore:inspect', [`/tmp/lifeboat-restore-1-abc/${name}`, {}])).toMatchObject({ ok: true });
    expect(await dispatch('restore:inspect', [`/tmp/lifeboat-restore-1-abc/${name}.json`, {}])).toMatchObject({ ok: false });
    expect(await dispatch('copies:discardFetched', [`/tmp/lifeboat-restore-1-abc/${name}`])).toEqual({ ok: true, value: undefined });
    expect(released).toBe(1);
    expect(await dispatch('restore:inspect', [`/tmp/lifeboat-restore-1-abc/${name}`, {}])).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });
});
