import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LibraryService } from './archive/library-service.ts';
import { LibraryKey } from './archive/sidecar-tag.ts';
import { removeDeadProcessTemps } from './jobs/private-temp.ts';
import { BackupService, type BackupResult } from './backup/backup-service.ts';
import { KeyService } from './keys/key-service.ts';
import { TRUST_PHRASE } from './restore/unsafe-statements.ts';
import { RestoreService } from './restore/restore-service.ts';
import { DrillService } from './drill/drill-service.ts';
import { DemoServer } from './demo/demo-server.ts';
import { ActivityLog, type ActivityKind } from './activity/activity-log.ts';
import type { Job } from './jobs/job.ts';
import { Notifications, type DesktopNotifier } from './notify/notifier.ts';
import { ScheduleService } from './schedule/schedule-service.ts';
import { installOsJob, osJobStatus, uninstallOsJob, type RunDueCommand } from './schedule/os-job.ts';
import { defaultToolsCacheDir, resolveDataDir } from './paths/data-dir.ts';
import { ToolResolver } from './pgtools/tool-resolver.ts';
import { systemClock, type Clock } from './ports.ts';
import { ProfileService } from './profiles/profile-service.ts';
import { openSecretStore } from './secrets/keychain-store.ts';
import { FollowUps } from './jobs/follow-ups.ts';
import { startTocListing } from './restore/toc-listing.ts';
import type { SecretStore } from './secrets/secret-store.ts';
import { SettingsStore } from './settings/settings-store.ts';

export interface EngineOptions {
  dataDir?: string;
  secrets?: SecretStore;
  clock?: Clock;
  /** bin/ folder of the bundled PostgreSQL 18 client tools; defaults to the development cache. */
  bundledToolsDir?: string | null;
  /** Use only the tools in this folder (LIFEBOAT_PG_BIN / --pg-bin). */
  toolsOverrideDir?: string | null;
  /** Recorded in every archive's manifest; defaults to package.json's version. */
  appVersion?: string;
  /** Desktop notifications (the Electron shell); none in the CLI. */
  desktopNotifier?: DesktopNotifier | null;
  /** Who starts jobs, for the activity log. */
  via?: 'app' | 'cli' | 'schedule';
}

export type Engine = Awaited<ReturnType<typeof createEngine>>;

/** The one place the engine's services are assembled. */
export async function createEngine(options: EngineOptions = {}) {
  const dataDir = options.dataDir ?? resolveDataDir();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Passfiles and decrypted copies of a killed Lifeboat process go at the next start.
  await removeDeadProcessTemps();
  const secrets = options.secrets ?? (await openSecretStore());
  const clock = options.clock ?? systemClock;
  const settings = new SettingsStore(dataDir);
  const tools = new ToolResolver({
    bundledDir: options.bundledToolsDir !== undefined ? options.bundledToolsDir : defaultBundledToolsDir(),
    configuredDir: () => settings.get().pgToolsDir,
    versionCache: path.join(dataDir, 'tool-versions.json'),
    overrideDir: options.toolsOverrideDir ?? process.env.LIFEBOAT_PG_BIN ?? null,
  });
  const profiles = new ProfileService({ dataDir, secrets, tools, clock });
  const keys = new KeyService({ secrets, settings, clock });
  const appVersion = options.appVersion ?? packageVersion();
  // Tags the sidecars this Lifeboat writes, so strangers' files never decide retention (sidecar-tag.ts).
  const libraryKey = new LibraryKey({ dataDir });
  const followUps = new FollowUps();
  // "Drill after every backup" (Settings) holds for every path — the app, the CLI, a schedule — so it lives here.
  const afterBackup = (result: BackupResult) => {
    if (settings.get().drillAfterBackup) followUps.add(drills.start({ file: result.archive }), { kind: 'backup', archive: result.archive });
  };
  const backups = new BackupService({ profiles, tools, keys, settings, clock, dataDir, appVersion, libraryKey, afterBackup });
  const library = new LibraryService({ profiles, settings, keys, tools, clock, dataDir, libraryKey, listToc: startTocListing });
  // A safety backup starts no follow-up drill: the restore it protects runs next.
  const safetyBackups = { start: (request: Parameters<typeof backups.start>[0]) => backups.start({ ...request, followUps: false }) };
  const restores = new RestoreService({ profiles, tools, keys, backups: safetyBackups, clock, dataDir });
  const drills = new DrillService({ restores, profiles, tools, keys, clock, dataDir, appVersion, libraryKey });
  const demo = new DemoServer({ dataDir, profiles });
  const activity = new ActivityLog({ dataDir, clock });
  activity.via = options.via ?? 'cli';
  const notifications = new Notifications({ desktop: options.desktopNotifier ?? null, activity });
  const timeZone = () => settings.get().timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  // Every backup, restore, drill and verify lands in the activity log, whoever started it.
  for (const service of [backups, restores, drills]) {
    activityOf.set(service, activity);
    profileNames.set(service, (idOrName) => profiles.get(idOrName).then((p) => p.name, () => idOrName));
  }
  logJobs(backups, (request) => ['backup', `Backup${request.database ? ` of ${request.database}` : ''}`, request.profile], (result) => result.archive);
  logJobs(restores, (request) => ['restore', `Restore into "${request.database}" (${request.mode})${request.trust === TRUST_PHRASE ? `, "${TRUST_PHRASE}" typed by the user` : ''}`, request.profile], () => null);
  logJobs(drills, (request) => ['drill', 'Drill', null, request.file], (record) => {
    if (!record.passed && !record.couldNotRun) throw Object.assign(new Error(`The drill failed: ${record.checks.filter((c) => !c.passed).length} check(s) did not match.`), { code: 'VERIFY_FAILED' });
    return record.archive.path;
  });
  const schedules = new ScheduleService({ dataDir, clock, profiles, backups, drills, library, activity, notifications, secrets, timeZone, drillAfterEveryBackup: () => settings.get().drillAfterBackup });
  const osJob = {
    status: () => osJobStatus(),
    install: (command: Omit<RunDueCommand, 'dataDir'>) => installOsJob({ ...command, dataDir }),
    uninstall: () => uninstallOsJob(),
  };
  return { dataDir, appVersion, secrets, settings, tools, profiles, keys, backups, library, restores, drills, demo, activity, notifications, schedules, osJob, followUps };
}

/** Wraps a service's start() so each job's outcome is appended to the activity log. */
function logJobs<Req, Res>(
  service: { start(request: Req): Job<Res> },
  describe: (request: Req) => [ActivityKind, string, string | null, string?],
  archiveOf: (result: Res) => string | null,
): void {
  const start = service.start.bind(service);
  service.start = (request: Req) => {
    const job = start(request);
    const [what, title, profile, archive] = describe(request);
    const name = profile ? (profileNames.get(service)?.(profile) ?? Promise.resolve(profile)) : Promise.resolve(null);
    void name.then((resolved) => activityOf.get(service)?.track({ result: job.result.then(archiveOf).then((a) => a ?? archive ?? null) }, what, title, resolved, (a) => a));
    return job;
  };
}

const activityOf = new WeakMap<object, ActivityLog>();
const profileNames = new WeakMap<object, (idOrName: string) => Promise<string>>();

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** LIFEBOAT_BUNDLED_PG_TOOLS, else the cache build/pg-tools/build.sh fills, when it holds a bundle. */
export function defaultBundledToolsDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.LIFEBOAT_BUNDLED_PG_TOOLS) return env.LIFEBOAT_BUNDLED_PG_TOOLS;
  const dir = path.join(defaultToolsCacheDir(env), '18', 'bin');
  return existsSync(dir) ? dir : null;
}

export { LifeboatError, toErrorInfo } from './errors.ts';
export type * from './types.ts';
