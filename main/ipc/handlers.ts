// validate → call engine → return plain data. No `electron` import: the E2E bridge and the IPC
// tests drive exactly this dispatcher; main/ipc/typed-ipc.ts wires it to ipcMain. The handlers come
// in groups per capability over one HandlerContext (handler-context.ts).
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Inspection } from '../engine/restore/restore-inspect.ts';
import { LifeboatError, toErrorInfo, type Engine } from '../engine/index.ts';
import type { AppInfo, AppSettings, InvokeChannel, InvokeResult, ProfileFields, ProfileInput, ProfileSummary, RunRestoreUiRequest } from './contract.ts';
import { visibleText } from '../engine/name-text.ts';
import { invokeSchemas } from './schemas.ts';
import { PathGrants } from './path-grants.ts';
import { writeFileDurably } from '../engine/files/durable-files.ts';
import { HandlerContext, type HandlerGroup, type Handlers } from './handler-context.ts';
import { FetchedCopies } from './fetched-copies.ts';
import { remoteArchiveHandlers } from './remote-handlers.ts';
import type { ShellPorts } from './shell-ports.ts';
import type { Job } from '../engine/jobs/job.ts';
import type { DrillRecord } from '../engine/model/drill.ts';
import type { CopyResult } from '../engine/model/offsite.ts';
import type { FollowUpCause } from '../engine/jobs/follow-ups.ts';
import type { RunRestoreRequest } from '../engine/server-run/run-restore.ts';
import type { CopySubject } from './contract.ts';
import type { KeyImportQuestion } from '../engine/model/keys.ts';

export type { ShellPorts } from './shell-ports.ts';

/**
 * `grants`: paths the page may write to or read from — what a dialog just returned, and (recorded by
 * the shell) files the user dropped on the window or opened from the OS (path-grants.ts). `fetched`:
 * remote archives downloaded for the Restore screen (fetched-copies.ts; the shell releases them at quit).
 */
export function createHandlers(engine: Engine, shell: ShellPorts, grants: PathGrants = new PathGrants(), fetched: FetchedCopies = new FetchedCopies()): Handlers {
  const ctx = new HandlerContext(engine, shell, grants, fetched);
  // Jobs the engine starts on its own (a drill, offsite copies after a backup or resumed) reach the window like the ones it asked for.
  engine.followUps.onStarted((job, cause) => {
    if (job.kind === 'drill') ctx.track(job as Job<DrillRecord>, (value) => ({ kind: 'drill', ok: true, value }));
    else if (job.kind === 'copy') ctx.track(job as Job<CopyResult>, (value) => ({ kind: 'copy', ok: true, value }), followUpCopy(engine, cause));
  });
  const groups = [profileHandlers, settingsHandlers, jobHandlers, libraryHandlers, runHandlers, offsiteHandlers, remoteArchiveHandlers, restoreHandlers, drillHandlers, scheduleHandlers, activityHandlers];
  const handlers = Object.assign({}, ...groups.map((group) => group(ctx))) as Handlers;
  // Every channel of the contract has exactly one handler (a group left out fails here, at start-up).
  const missing = Object.keys(invokeSchemas).filter((channel) => !(channel in handlers));
  if (missing.length) throw new Error(`IPC channels without a handler: ${missing.join(', ')}`);
  return handlers;
}

/** Profiles, the tools report and the app info. */
function profileHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine, shell } = ctx;
  return {
    'app:info': (): AppInfo => ({ version: shell.appVersion, dataDir: engine.dataDir, platform: process.platform, keychain: engine.secrets.status() }),
    'profiles:list': () => engine.profiles.list(),
    'profiles:add': async (input) => engine.profiles.add(await checkedProfileInput(ctx, input)),
    'profiles:update': async (id, input) => {
      await confirmPasswordMove(ctx, id, input);
      return engine.profiles.update(id, await checkedProfileInput(ctx, input, await engine.profiles.get(id)));
    },
    'profiles:duplicate': (id) => engine.profiles.duplicate(id),
    'profiles:remove': (id) => engine.profiles.remove(id),
    'profiles:test': (id, acceptHostKeys) => engine.profiles.test(id, { acceptHostKeys }),
    // The test reads the SSL files and sends a client certificate: new ones must come from a dialog, as on a save.
    // Sending a saved password to another server is the user's decision, asked in main (the page only sets a flag).
    'profiles:test-input': async (input, profileId, acceptHostKeys) => {
      if (profileId !== null) await confirmPasswordMove(ctx, profileId, input);
      return engine.profiles.testInput(ctx.sslFilesChosen(input, profileId === null ? undefined : await engine.profiles.get(profileId)), profileId, { acceptHostKeys });
    },
    // A pgpass file other than the default ~/.pgpass is read only when the user chose it in a dialog.
    'profiles:import-preview': (source) => engine.profiles.importCandidates(ctx.chosenSource(source)),
    'profiles:import-save': (source, name) => engine.profiles.importAndSave(ctx.chosenSource(source), name ? { name } : {}),
    'tools:report': () => engine.tools.report(),
  };
}

/**
 * What a profile save from the page may change only with the user: new SSL and SSH key files come from
 * an open dialog; a new backup folder from a folder dialog (backups are written there, and the library
 * lists, reads and deletes files in it); new canary queries (SQL run on the server at every backup,
 * whose values the page sees) are confirmed in main once the engine found the input valid.
 */
async function checkedProfileInput(ctx: HandlerContext, input: ProfileInput, current?: ProfileSummary): Promise<ProfileInput> {
  ctx.sslFilesChosen(input, current);
  const folder = input.backupFolder?.trim();
  if (folder && folder !== current?.backupFolder) ctx.grants.use('folder', folder, 'The backup folder');
  await confirmNewCanaries(ctx.shell, ctx.engine.profiles.check(input, current?.id), current);
  return input;
}

/**
 * A saved password belongs to the server it was given for (§6a): keeping it for a profile that now
 * names another host, port, user or SSH route sends it there, so the user says yes in main first.
 */
async function confirmPasswordMove(ctx: HandlerContext, id: string, input: ProfileInput): Promise<void> {
  const move = ctx.engine.profiles.passwordMove(id, input);
  if (!move) return;
  const yes = await ctx.shell.confirm({
    title: 'Lifeboat',
    message: `Send the password saved for ${visibleText(move.from)} to ${visibleText(move.to)}?`,
    detail: 'The connection now names another server. Its saved password was given for the old one: say yes only if the new server is the same database under another name or address.',
    action: 'Send it',
  });
  if (!yes) throw new LifeboatError('CANCELLED', 'The saved password was not sent to the new server.', 'Type the password for the new server, or keep the host, port and user it was saved for.');
}

/** Longer SQL is cut in the question: it names the query, the profile shows it whole. */
const CANARY_SHOWN_CHARS = 300;

async function confirmNewCanaries(shell: ShellPorts, fields: ProfileFields, current?: ProfileSummary): Promise<void> {
  const key = (canary: { name: string; sql: string }) => `${canary.name}\0${canary.sql.trim()}`;
  const known = new Set((current?.canaryQueries ?? []).map(key));
  const added = (fields.canaryQueries ?? []).filter((canary) => !known.has(key(canary)));
  if (!added.length) return;
  const shown = (sql: string) => {
    const line = sql.replace(/\s+/g, ' ');
    return visibleText(line.length > CANARY_SHOWN_CHARS ? `${line.slice(0, CANARY_SHOWN_CHARS)}…` : line);
  };
  const yes = await shell.confirm({
    title: 'Lifeboat',
    message: `Run ${added.length === 1 ? 'this canary query' : `these ${added.length} canary queries`} on ${visibleText(fields.name)} at every backup?`,
    detail: `${added.map((canary) => `${visibleText(canary.name)}: ${shown(canary.sql)}`).join('\n')}\nThey run as ${visibleText(fields.user)} on ${visibleText(`${fields.host}:${fields.port}/${fields.database}`)}; each backup records the values and drills compare them.`,
    action: 'Run them',
  });
  if (!yes) throw new LifeboatError('CANCELLED', 'The connection was not saved: you declined the new canary queries.', 'Save again without them, or answer yes to run them at every backup.');
}

/** Settings (security changes confirmed in main) and the dialogs that grant paths. */
function settingsHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine, shell, grants } = ctx;
  return {
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
    'keys:status': () => engine.keys.status(),
    'keys:export-recovery': (file) => engine.keys.exportRecoveryKey(grants.use('save', file, 'The recovery key file')),
    'keys:set-passphrase': (passphrase) => engine.keys.setPassphrase(passphrase),
    // Whoever holds the imported key reads every new backup: the file comes from the open dialog, and the user says yes in main.
    'keys:import-recovery': (file) => engine.keys.importIdentity(grants.use('open', file, 'The recovery key file'), { confirm: (question) => shell.confirm(keyImportQuestion(question)) }),
  };
}

/** Backups and the jobs the window follows. */
function jobHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine } = ctx;
  return {
    // A follow-up drill ("drill after every backup") is tracked like any job: createHandlers subscribes.
    // A profile with a database scope backs up several databases: one run, its outcome in `run`.
    'backups:start': async (request) => {
      const encryption = request.encryption === 'none' ? { kind: 'none' as const } : { kind: 'settings' as const };
      const profile = await engine.profiles.get(request.profileId);
      if (profile.scope) return ctx.track(engine.runs.start({ profile: request.profileId, encryption }), (run) => ({ kind: 'backup', ok: true, run }));
      return ctx.track(engine.backups.start({ profile: request.profileId, encryption }), (value) => ({ kind: 'backup', ok: true, value }));
    },
    'jobs:cancel': (jobId) => {
      ctx.jobs.get(jobId)?.cancel();
    },
    'jobs:active': () => [...ctx.jobs.values()].map((job) => job.lastProgress()).filter((p) => p !== null).map((p) => ctx.progressEvent(p)),
  };
}

/** The archive library: listing, details, verify, delete, import, reveal. */
function libraryHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine, shell, grants } = ctx;
  return {
    'library:folders': () => engine.library.folders(),
    'library:listing': (filter) => engine.library.listing(filter),
    'library:details': async (file) => engine.library.details(await ctx.readableBackup(file)),
    'library:verify': async (file, level) => ctx.track(engine.library.verify(await ctx.readableBackup(file), level), (value) => ({ kind: 'verify', ok: true, value })),
    'library:delete': async (file) => {
      await ctx.assertInLibrary(file);
      await engine.library.remove(file);
    },
    'library:import': async (file) => {
      const [folder] = await engine.library.folders();
      return engine.library.importArchive(grants.use('open', file, 'The archive to import'), folder!);
    },
    // Showing a file in the file manager still tells the page whether it exists: library files only.
    'library:reveal': async (file) => shell.revealInFolder(await ctx.revealable(file)),
  };
}

/** Whole-server runs in the library, drills of a whole run, and restores of a whole run onto a server. */
function runHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine } = ctx;
  return {
    'runs:list': () => engine.runs.list(),
    // The record decides which archives the drill reads: only one main listed (its tag verifies, in a
    // library folder), never a path the page merely names. The engine reads and verifies it again.
    'runs:drill': async ({ file }) => ctx.track(engine.runDrills.start({ file: await listedRun(engine, file, 'drill') }), (runDrill) => ({ kind: 'drill', ok: true, runDrill })),
    // The same rule for a restore of the run: its record names the archives read and restored.
    'runs:restore-preflight': async (request) => {
      const checked = await engine.runRestores.preflight(await runRestoreRequestFrom(ctx, request));
      return { ...checked, parts: checked.parts.map((part) => ({ ...part, preflight: { ...part.preflight, inspection: forRenderer(part.preflight.inspection) } })) };
    },
    'runs:restore': async (request) => ctx.track(engine.runRestores.start(await runRestoreRequestFrom(ctx, request)), (runRestore) => ({ kind: 'restore', ok: true, runRestore })),
  };
}

const LISTED_RUN_USE = {
  drill: { done: 'drilled', fix: 'Drill a run from the list of whole-server runs on the Backups screen.' },
  restore: { done: 'restored', fix: 'Restore a run from the list of whole-server runs on the Backups screen.' },
} as const;

/** The run record file, when engine.runs.list() returns it right now; otherwise a refusal naming what to do. */
async function listedRun(engine: Engine, file: string, use: keyof typeof LISTED_RUN_USE): Promise<string> {
  const wanted = path.resolve(file);
  const listed = (await engine.runs.list()).find((run) => path.resolve(run.file) === wanted);
  if (!listed) throw new LifeboatError('INVALID_INPUT', `${path.basename(wanted)} is not a whole-server run this Lifeboat lists, so it is not ${LISTED_RUN_USE[use].done}.`, LISTED_RUN_USE[use].fix);
  return listed.file;
}

/** A run restore as the engine takes it: a listed record, the target profile, and the keys (a chosen identity file only). */
async function runRestoreRequestFrom(ctx: HandlerContext, request: RunRestoreUiRequest): Promise<RunRestoreRequest> {
  const { file, profileId, databases, rename, createMissingRoles, noOwner, noPrivileges } = request;
  return {
    file: await listedRun(ctx.engine, file, 'restore'),
    profile: profileId,
    ...(databases ? { databases } : {}),
    // Looked up by each database's name: without a prototype, a database named "constructor" finds no new name the page did not give.
    ...(rename ? { rename: Object.assign(Object.create(null) as Record<string, string>, rename) } : {}),
    ...(createMissingRoles !== undefined ? { createMissingRoles } : {}),
    ...(noOwner !== undefined ? { noOwner } : {}),
    ...(noPrivileges !== undefined ? { noPrivileges } : {}),
    keys: await ctx.keysFrom(request),
  };
}

/** Offsite destinations (secrets go in once, never come back; an SFTP key file only as chosen in a dialog) and copies of library archives. */
function offsiteHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine, shell } = ctx;
  return {
    'destinations:list': (filter) => engine.destinations.list(filter.profileId ? { profile: filter.profileId } : {}),
    // Every new backup of the connection will leave this computer for that bucket or SSH server: the user says yes in main.
    'destinations:add': async ({ name, profileId, s3, secretKey, sftp, sshSecrets }) => {
      // An SFTP key file is read and used to log in: chosen in a dialog, as a profile's SSH key file.
      if (sftp) ctx.sshKeyFilesChosen(sftp);
      const input = { name, profile: profileId, ...(s3 ? { s3 } : {}), ...(secretKey !== undefined ? { secretKey } : {}), ...(sftp ? { sftp } : {}), ...(sshSecrets !== undefined ? { sshSecrets } : {}) };
      const checked = await engine.destinations.check(input);
      const readers = checked.kind === 'sftp' ? 'Whoever can read that folder on the SSH server' : 'Whoever can read that bucket';
      const yes = await shell.confirm({
        title: 'Lifeboat',
        message: `Copy every new backup of ${checked.profileName} to "${checked.name}"?`,
        detail: `Each backup of ${checked.profileName} will be uploaded to ${checked.where}. ${readers} can read the archives (encrypted archives stay encrypted).`,
        action: 'Add destination',
      });
      if (!yes) throw new LifeboatError('CANCELLED', 'The destination was not added.', 'Nothing to do: you declined it.');
      return engine.destinations.add(input);
    },
    'destinations:remove': async (destinationId) => {
      await engine.destinations.remove(destinationId);
    },
    'destinations:test': (destinationId, acceptHostKeys) => engine.destinations.test(destinationId, { acceptHostKeys }),
    'copies:states': (filter) => engine.copies.states(filter),
    'copies:start': async (request) => {
      const file = await ctx.copyableArchive(request.file);
      const destination = await engine.destinations.get(request.destinationId);
      const copy = { file, destinationId: destination.id, destinationName: destination.name };
      return ctx.track(engine.copies.start({ file, destination: destination.id }), (value) => ({ kind: 'copy', ok: true, value }), { copy });
    },
    'copies:listRemote': (destinationId) => engine.copies.listRemote(destinationId),
  };
}

/** A copy the engine started after a backup, or resumed: its archive, and the destination it names. */
function followUpCopy(engine: Engine, cause: FollowUpCause): { copy: CopySubject } | undefined {
  if (!cause.destination) return undefined;
  try {
    const destination = engine.destinations.find(cause.destination);
    return { copy: { file: cause.archive, destinationId: destination.id, destinationName: destination.name } };
  } catch {
    return undefined;
  }
}

/** Inspect, preflight and restore a file. */
function restoreHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine } = ctx;
  return {
    'restore:inspect': async (file, keys) => forRenderer(await engine.restores.inspect(await ctx.readableBackup(file), await ctx.keysFrom(keys))),
    'restore:preflight': async (request) => {
      const preflight = await engine.restores.preflight(await ctx.restoreRequestFrom(request));
      return { ...preflight, inspection: forRenderer(preflight.inspection) };
    },
    // A remote archive fetched for this restore is removed when the restore ends (fetched-copies.ts).
    'restore:start': async (request) => ctx.track(await ctx.fetched.ownedBy(request.file, async () => engine.restores.start(await ctx.restoreRequestFrom(request))), (value) => ({ kind: 'restore', ok: true, value })),
    'restore:drop-kept': (profileId, database) => engine.restores.dropKeptCopy(profileId, database),
    'restore:target-databases': (profileId) => engine.restores.targetDatabases(profileId),
  };
}

/** Drills, their history and reports. */
function drillHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine, shell, grants } = ctx;
  return {
    'drills:start': async (request) =>
      ctx.track(
        await ctx.fetched.ownedBy(request.file, async () =>
          engine.drills.start({ file: await ctx.readableBackup(request.file), scratch: request.scratch === 'embedded' ? { kind: 'embedded' } : { kind: 'profile', profile: request.scratch.profileId }, keep: request.keep ?? false, ...(request.trust !== undefined ? { trust: request.trust } : {}), keys: await ctx.keysFrom(request) }),
        ),
        (value) => ({ kind: 'drill', ok: true, value }),
      ),
    'drills:history': (filter) => engine.drills.history(filter),
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

/** Schedules, retention, notifications and the OS job. */
function scheduleHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine, shell } = ctx;
  return {
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
  };
}

/** The activity log and the demo. */
function activityHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine, grants } = ctx;
  return {
    'health:overview': () => engine.health.overview(),
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

/** The main-process question before a key is imported: what changes for new backups, and what happens to the current key. */
function keyImportQuestion({ file, incoming, current, forgets }: KeyImportQuestion): { title: string; message: string; detail: string; action: string } {
  const from = `the file ${path.basename(file)}`;
  // Lifeboat keeps 20 earlier keys: say which would go, while the user can still say no.
  const forgetting = forgets.length ? ` Lifeboat keeps 20 earlier keys at most: ${forgets.join(', ')} would not be kept, and backups made with ${forgets.length === 1 ? 'it' : 'them'} would open only with a recovery file that holds ${forgets.length === 1 ? 'it' : 'them'}.` : '';
  if (!current) {
    return { title: 'Lifeboat', message: 'Use this key as Lifeboat’s key?', detail: `New backups will be encrypted to ${incoming} from ${from}: whoever has that file can read them. Backups made with it open on this computer.${forgetting}`, action: 'Use this key' };
  }
  return {
    title: 'Lifeboat',
    message: 'Replace Lifeboat’s key?',
    detail: `New backups will be encrypted to ${incoming} from ${from} instead of ${current}: whoever has that file can read them. The current key stays in the keychain, so the backups it made still open here; export its recovery key first if you have no copy.${forgetting}`,
    action: 'Replace key',
  };
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
