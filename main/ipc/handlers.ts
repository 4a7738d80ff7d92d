// validate → call engine → return plain data. No `electron` import: the E2E bridge and the IPC
// tests drive exactly this dispatcher; main/ipc/typed-ipc.ts wires it to ipcMain.
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgeKeys } from '../engine/crypto/age-decrypt.ts';
import { parseIdentityFile } from '../engine/crypto/age-keys.ts';
import type { RestoreRequest } from '../engine/restore/restore-service.ts';
import type { Inspection } from '../engine/restore/restore-inspect.ts';
import { LifeboatError, toErrorInfo, type Engine } from '../engine/index.ts';
import type { Job } from '../engine/jobs/job.ts';
import type { AppInfo, AppSettings, Events, EventChannel, FileFilter, ImportSource, Invoke, InvokeChannel, InvokeResult, JobOutcome, OpenKeys, RestoreUiRequest } from './contract.ts';
import { invokeSchemas } from './schemas.ts';
import { PathGrants } from './path-grants.ts';
import { writeFileDurably } from '../engine/archive/archive-writer.ts';
import { parseConnectionUri } from '../engine/profiles/profile-import.ts';
import type { ProfileFields } from '../engine/types.ts';

type SslFileField = 'sslRootCert' | 'sslCert' | 'sslKey';
const SSL_FILE_FIELDS: [SslFileField, string][] = [
  ['sslRootCert', 'The CA certificate'],
  ['sslCert', 'The client certificate'],
  ['sslKey', 'The client key'],
];

/** What only the shell can do (native dialogs, the file manager, events to the window); tests provide their own. */
export interface ShellPorts {
  appVersion: string;
  chooseFile(title: string, filters: FileFilter[]): Promise<string | null>;
  chooseFolder(title: string): Promise<string | null>;
  chooseSaveFile(title: string, defaultName: string): Promise<string | null>;
  /** A native question from the main process (not the page): true only when the user chose `action`. */
  confirm(question: { title: string; message: string; detail: string; action: string }): Promise<boolean>;
  revealInFolder(file: string): void;
  /** Opens a file with the system's default app (the drill report in a browser). */
  openPath(file: string): void;
  /** A desktop notification (the Electron shell; tests record it). */
  notify(title: string, body: string): void;
  /** How the OS job runs Lifeboat's CLI (the app's own binary, or Node with the CLI script). */
  runDueCommand(): { executable: string; args: string[]; env?: Record<string, string> };
  emit<K extends EventChannel>(channel: K, ...args: Parameters<Events[K]>): void;
}

type Handlers = { [K in InvokeChannel]: (...args: Parameters<Invoke[K]>) => Promise<Awaited<ReturnType<Invoke[K]>>> | Awaited<ReturnType<Invoke[K]>> };

/**
 * `grants`: paths the page may write to or read from — what a dialog just returned, and (recorded by
 * the shell) files the user dropped on the window or opened from the OS (path-grants.ts).
 */
export function createHandlers(engine: Engine, shell: ShellPorts, grants: PathGrants = new PathGrants()): Handlers {
  const jobs = new Map<string, Job<unknown>>();

  /** Forwards a job's progress and outcome to the window; forgets it when done. */
  function track<R>(job: Job<R>, outcome: (value: R) => Omit<JobOutcome, 'jobId'>): { jobId: string } {
    jobs.set(job.id, job as Job<unknown>);
    const unsubscribe = job.onProgress((progress) => shell.emit('jobs:progress', progress));
    job.result.then(
      (value) => shell.emit('jobs:finished', { ...outcome(value), jobId: job.id } as JobOutcome),
      (error: unknown) => shell.emit('jobs:finished', { jobId: job.id, kind: job.kind, ok: false as const, error: toErrorInfo(error) }),
    ).finally(() => {
      unsubscribe();
      jobs.delete(job.id);
    });
    return { jobId: job.id };
  }

  /** Deleting is allowed only inside the library's folders. */
  async function assertInLibrary(file: string): Promise<void> {
    const folders = await engine.library.folders();
    if (!folders.includes(path.dirname(file))) throw new LifeboatError('INVALID_INPUT', `${file} is not in a library folder.`, 'Only archives listed in the library can be deleted here.');
  }

  /** A file the page may show in the file manager: a listed library file or its sidecar, or one the user chose. */
  async function revealable(file: string): Promise<string> {
    const resolved = path.resolve(file);
    if (grants.has('open', resolved) || grants.has('save', resolved)) return resolved;
    await assertInLibrary(resolved);
    return resolved;
  }

  /**
   * A backup file the page asks to read: one the user chose, dropped or opened from the OS, or one
   * in a library folder (listed by main).
   */
  async function readableBackup(file: string): Promise<string> {
    if (grants.has('open', file)) return file;
    const folders = await engine.library.folders();
    if (folders.includes(path.dirname(path.resolve(file)))) return file;
    return grants.use('open', file, 'The backup file');
  }

  /** Keys typed in the UI plus an identity file, if one was chosen. */
  async function keysFrom(keys: OpenKeys): Promise<AgeKeys> {
    const identityFile = keys.identityFile ? grants.use('open', keys.identityFile, 'The identity file') : null;
    const identities = identityFile ? parseIdentityFile(await readFile(identityFile, 'utf8'), identityFile) : [];
    return { identities, passphrases: keys.passphrase ? [keys.passphrase] : [] };
  }

  function chosenSource(source: ImportSource): ImportSource {
    if (source.kind === 'uri') sslFilesChosen(parseConnectionUri(source.uri).fields);
    return source.kind === 'pgpass' && source.file !== undefined ? { kind: 'pgpass', file: grants.use('open', source.file, 'The pgpass file') } : source;
  }

  /**
   * A profile's SSL files are read whenever it connects (and a client certificate is sent to the
   * server), so a new path there must be one the user chose in a dialog; paths the profile already
   * had stay usable.
   */
  function sslFilesChosen<T extends Pick<ProfileFields, SslFileField>>(fields: T, current?: Pick<ProfileFields, SslFileField>): T {
    for (const [key, what] of SSL_FILE_FIELDS) {
      const file = fields[key]?.trim();
      if (file && file !== current?.[key]) grants.use('open', file, what);
    }
    return fields;
  }

  async function restoreRequestFrom(request: RestoreUiRequest): Promise<RestoreRequest> {
    const { profileId, passphrase: _p, identityFile: _i, ...rest } = request;
    return { ...rest, file: await readableBackup(request.file), profile: profileId, keys: await keysFrom(request) };
  }

  return {
    'app:info': (): AppInfo => ({ version: shell.appVersion, dataDir: engine.dataDir, platform: process.platform, keychain: engine.secrets.status() }),
    'profiles:list': () => engine.profiles.list(),
    'profiles:add': (input) => engine.profiles.add(sslFilesChosen(input)),
    'profiles:update': async (id, input) => engine.profiles.update(id, sslFilesChosen(input, await engine.profiles.get(id))),
    'profiles:duplicate': (id) => engine.profiles.duplicate(id),
    'profiles:remove': (id) => engine.profiles.remove(id),
    'profiles:test': (id) => engine.profiles.test(id),
    // A pgpass file other than the default ~/.pgpass is read only when the user chose it in a dialog.
    'profiles:import-preview': (source) => engine.profiles.importCandidates(chosenSource(source)),
    'profiles:import-save': (source, name) => engine.profiles.importAndSave(chosenSource(source), name ? { name } : {}),
    'tools:report': () => engine.tools.report(),
    'settings:get': () => engine.settings.get(),
    'settings:update': async (patch) => {
      await confirmSecuritySettings(engine.settings.get(), patch, grants, shell);
      const next = engine.settings.update(patch);
      engine.tools.refresh();
      return next;
    },
    'dialog:choose-file': async (title, filters) => grants.grant('open', await shell.chooseFile(title, filters)),
    'dialog:choose-folder': async (title) => grants.grant('folder', await shell.chooseFolder(title)),
    'dialog:choose-save-file': async (title, defaultName) => grants.grant('save', await shell.chooseSaveFile(title, defaultName)),
    'backups:start': (request) => {
      const job = engine.backups.start({ profile: request.profileId, encryption: request.encryption === 'none' ? { kind: 'none' } : { kind: 'settings' } });
      // "Drill after every backup": a finished backup starts its own drill, reported like any job.
      job.result.then((result) => {
        if (engine.settings.get().drillAfterBackup) track(engine.drills.start({ file: result.archive }), (value) => ({ kind: 'drill', ok: true, value }));
      }, () => {});
      return track(job, (value) => ({ kind: 'backup', ok: true, value }));
    },
    'jobs:cancel': (jobId) => {
      jobs.get(jobId)?.cancel();
    },
    'jobs:active': () => [...jobs.values()].map((job) => job.lastProgress()).filter((p) => p !== null),
    'library:folders': () => engine.library.folders(),
    'library:list': (filter) => engine.library.list(filter),
    'library:details': async (file) => engine.library.details(await readableBackup(file)),
    'library:verify': async (file, level) => track(engine.library.verify(await readableBackup(file), level), (value) => ({ kind: 'verify', ok: true, value })),
    'library:delete': async (file) => {
      await assertInLibrary(file);
      await engine.library.remove(file);
    },
    'library:import': async (file) => {
      const [folder] = await engine.library.folders();
      return engine.library.importArchive(grants.use('open', file, 'The archive to import'), folder!);
    },
    // Showing a file in the file manager still tells the page whether it exists: library files only.
    'library:reveal': async (file) => shell.revealInFolder(await revealable(file)),
    'keys:status': () => engine.keys.status(),
    'keys:export-recovery': (file) => engine.keys.exportRecoveryKey(grants.use('save', file, 'The recovery key file')),
    'keys:set-passphrase': (passphrase) => engine.keys.setPassphrase(passphrase),
    'restore:inspect': async (file, keys) => forRenderer(await engine.restores.inspect(await readableBackup(file), await keysFrom(keys))),
    'restore:preflight': async (request) => {
      const preflight = await engine.restores.preflight(await restoreRequestFrom(request));
      return { ...preflight, inspection: forRenderer(preflight.inspection) };
    },
    'restore:start': async (request) => track(engine.restores.start(await restoreRequestFrom(request)), (value) => ({ kind: 'restore', ok: true, value })),
    'restore:drop-kept': (profileId, database) => engine.restores.dropKeptCopy(profileId, database),
    'drills:start': async (request) =>
      track(
        engine.drills.start({ file: await readableBackup(request.file), scratch: request.scratch === 'embedded' ? { kind: 'embedded' } : { kind: 'profile', profile: request.scratch.profileId }, keep: request.keep ?? false, ...(request.trust !== undefined ? { trust: request.trust } : {}), keys: await keysFrom(request) }),
        (value) => ({ kind: 'drill', ok: true, value }),
      ),
    'drills:history': (filter) => engine.drills.history(filter),
    'schedules:list': () => engine.schedules.list(),
    'schedules:set': (profileId, patch) => engine.schedules.set(profileId, patch as Parameters<typeof engine.schedules.set>[1]),
    'schedules:preview-retention': (profileId, policy) => engine.schedules.previewRetention(profileId, policy),
    'schedules:prune': (profileId) => engine.schedules.prune(profileId),
    'schedules:run-due': () => engine.schedules.runDue(),
    'schedules:test-webhook': (profileId) => engine.schedules.testWebhook(profileId),
    'schedules:test-desktop': () => shell.notify('Lifeboat', 'Desktop notifications work: you will hear from Lifeboat when a backup or drill fails.'),
    'schedules:os-job': () => engine.osJob.status(),
    'schedules:install-os-job': () => engine.osJob.install(shell.runDueCommand()),
    'schedules:uninstall-os-job': () => engine.osJob.uninstall(),
    'activity:list': (filter) => engine.activity.list(filter),
    'activity:export': async (file) => {
      const target = grants.use('save', file, 'The activity export');
      const entries = await engine.activity.list();
      // A new file renamed into place: a symlink at the chosen name is replaced, never written through.
      await writeFileDurably(target, `${entries.reverse().map((e) => JSON.stringify(e)).join('\n')}\n`);
      return { file: target, entries: entries.length };
    },
    'demo:status': () => engine.demo.status(),
    'demo:start': () => engine.demo.start(),
    'demo:remove': () => engine.demo.remove(),
    'drills:open-report': async (drillId) => {
      const file = engine.drills.reportPath(drillId);
      await access(file).catch(() => {
        throw new LifeboatError('FILE_NOT_FOUND', 'The report of that drill is not stored any more.', 'Run the drill again.');
      });
      shell.openPath(file);
    },
    'drills:export-report': async (drillId, file) => {
      const target = grants.use('save', file, 'The drill report');
      await writeFileDurably(target, await readFile(engine.drills.reportPath(drillId), 'utf8'));
    },
  };
}

/** Changes to who can read future backups, or to what runs, are asked in a main-process dialog; folders must come from a dialog. */
async function confirmSecuritySettings(current: AppSettings, patch: Partial<AppSettings>, grants: PathGrants, shell: ShellPorts): Promise<void> {
  const changes: string[] = [];
  if (typeof patch.pgToolsDir === 'string' && patch.pgToolsDir !== current.pgToolsDir) {
    changes.push(`Run PostgreSQL tools from ${grants.use('folder', patch.pgToolsDir, 'The tools folder')}.`);
  }
  if (typeof patch.backupFolder === 'string' && patch.backupFolder !== current.backupFolder) {
    changes.push(`Save backups to ${grants.use('folder', patch.backupFolder, 'The backup folder')}.`);
  }
  for (const folder of (patch.libraryFolders ?? []).filter((f) => !current.libraryFolders.includes(f))) grants.use('folder', folder, 'The library folder');
  if (patch.encryptionMode !== undefined && patch.encryptionMode !== current.encryptionMode) {
    changes.push(`Encrypt new backups ${patch.encryptionMode === 'key' ? 'with Lifeboat\'s key' : patch.encryptionMode === 'passphrase' ? 'with the passphrase' : 'to the extra recipients only (no secret on this computer)'}.`);
  }
  const added = (patch.extraRecipients ?? []).filter((r) => !current.extraRecipients.includes(r));
  if (added.length) changes.push(`Also encrypt every new backup to ${added.map((r) => `${r.slice(0, 16)}…${r.slice(-6)}`).join(', ')}: whoever holds ${added.length === 1 ? 'that key' : 'those keys'} can read them.`);
  if (!changes.length) return;
  const yes = await shell.confirm({ title: 'Lifeboat', message: 'Change who can read new backups, or what Lifeboat runs?', detail: changes.join('\n'), action: 'Change' });
  if (!yes) throw new LifeboatError('CANCELLED', 'The settings were not changed.', 'Nothing to do: you declined the change.');
}

/** globals.sql may hold role password hashes, and the TOC can be huge: neither goes to the page. */
function forRenderer(inspection: Inspection): Inspection {
  return { ...inspection, toc: null, lifeboat: inspection.lifeboat ? { ...inspection.lifeboat, globals: '' } : null };
}

export type Dispatch = <K extends InvokeChannel>(channel: K, args: unknown[]) => Promise<InvokeResult<K>>;

/** Parses the payload with the channel's schema first; nothing unvalidated reaches the engine. */
export function createDispatcher(handlers: Handlers): Dispatch {
  return async (channel, args) => {
    const schema = invokeSchemas[channel];
    if (!schema) return { ok: false, error: { code: 'INVALID_INPUT', message: `Unknown channel "${String(channel)}".` } };
    const parsed = schema.safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` (argument ${issue.path.join('.')})` : '';
      return { ok: false, error: { code: 'INVALID_INPUT', message: `Rejected ${channel}: ${issue?.message ?? 'invalid payload'}${where}.` } };
    }
    try {
      const handler = handlers[channel] as (...a: unknown[]) => unknown;
      const value = await handler(...(parsed.data as unknown[]));
      return { ok: true, value } as InvokeResult<typeof channel>;
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  };
}
