import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LibraryService } from './archive/library-service.ts';
import { LibraryKey } from './archive/sidecar-tag.ts';
import { removeDeadProcessTemps } from './jobs/private-temp.ts';
import { BackupService, type BackupResult } from './backup/backup-service.ts';
import { KeyService } from './keys/key-service.ts';
import { RestoreService } from './restore/restore-service.ts';
import { DrillService } from './drill/drill-service.ts';
import { DemoServer } from './demo/demo-server.ts';
import { ActivityLog } from './activity/activity-log.ts';
import { Notifications, type DesktopNotifier } from './notify/notifier.ts';
import { ScheduleService } from './schedule/schedule-service.ts';
import { installOsJob, osJobStatus, uninstallOsJob, type RunDueCommand } from './schedule/os-job.ts';
import { defaultToolsCacheDir, resolveDataDir } from './paths/data-dir.ts';
import { ToolResolver } from './pgtools/tool-resolver.ts';
import { systemClock, type Clock } from './ports.ts';
import { ProfileService } from './profiles/profile-service.ts';
import { HostKeyTrust } from './tunnel/host-key-trust.ts';
import { describeSshRoute, TunnelService } from './tunnel/tunnel-service.ts';
import { openSecretStore } from './secrets/keychain-store.ts';
import { FollowUps } from './jobs/follow-ups.ts';
import { startTocListing } from './restore/toc-listing.ts';
import type { SecretStore } from './secrets/secret-store.ts';
import { SettingsStore } from './settings/settings-store.ts';
import { CopyRecords } from './offsite/copy-records.ts';
import { RunDrills } from './server-run/run-drill.ts';
import { RunRestores } from './server-run/run-restore.ts';
import { ServerRunService } from './server-run/server-run-service.ts';
import { CopyService } from './offsite/copy-service.ts';
import { DestinationService } from './offsite/destination-service.ts';
import { RemoteRetention } from './offsite/remote-retention.ts';
import { HealthService } from './health/health-service.ts';

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
  /** The user's OpenSSH known_hosts (read only); defaults to ~/.ssh/known_hosts. */
  userKnownHosts?: string;
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
  const tunnels = new TunnelService({ secrets, trust: new HostKeyTrust({ dataDir, ...(options.userKnownHosts ? { userKnownHosts: options.userKnownHosts } : {}) }) });
  const profiles = new ProfileService({ dataDir, secrets, tools, clock, tunnels });
  const keys = new KeyService({ secrets, settings, clock });
  const appVersion = options.appVersion ?? packageVersion();
  // Tags the sidecars this Lifeboat writes, so strangers' files never decide retention (sidecar-tag.ts).
  const libraryKey = new LibraryKey({ dataDir });
  // Every backup, restore and drill lands in the activity log, whoever started it: each service records its own jobs.
  const activity = new ActivityLog({ dataDir, clock, profileName: async (idOrName) => profiles.stored(idOrName).name, profileRoute: async (idOrName) => describeSshRoute(profiles.stored(idOrName)) });
  activity.via = options.via ?? 'cli';
  const followUps = new FollowUps();
  const copyRecords = new CopyRecords(dataDir);
  const destinations = new DestinationService({ dataDir, secrets, profiles, clock, records: copyRecords, tunnels });
  const copies = new CopyService({ destinations, records: copyRecords, clock, activity, libraryKey });
  const timeZone = () => settings.get().timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offsiteRetention = new RemoteRetention({ dataDir, destinations, records: copyRecords, libraryKey, timeZone, activity });
  // Offsite copies and "drill after every backup" (Settings) hold for every path — the app, the CLI, a schedule — so they live here.
  const afterBackup = (result: BackupResult, options = { drill: true }) => {
    const cause = { kind: 'backup' as const, archive: result.archive };
    for (const { job, destination } of copies.startForBackup(result.archive, result.profileId)) followUps.add(job, { ...cause, destination });
    if (options.drill && settings.get().drillAfterBackup) followUps.add(drills.start({ file: result.archive }), cause);
  };
  // Copies a killed or failed run left unfinished go on where they stopped (the app at its start, and
  // every run of the schedules): whoever shows jobs hears of each, like a copy after a backup.
  const resumeCopies = async () => {
    const resumed = await copies.resumeInterrupted();
    for (const { job, destination, archive } of resumed) followUps.add(job, { kind: 'resume', archive, destination });
    return resumed;
  };
  const scheduledCopies = { startForBackup: copies.startForBackup.bind(copies), lastVerified: copies.lastVerified.bind(copies), resumeInterrupted: resumeCopies, newestOffsite: copies.newestOffsite.bind(copies), fetchForUse: copies.fetchForUse.bind(copies) };
  const backups = new BackupService({ profiles, tools, keys, settings, clock, dataDir, appVersion, libraryKey, afterBackup, activity });
  const library = new LibraryService({ profiles, settings, keys, tools, clock, dataDir, libraryKey, listToc: startTocListing });
  // A safety backup starts no follow-up drill: the restore it protects runs next.
  const safetyBackups = { start: (request: Parameters<typeof backups.start>[0]) => backups.start({ ...request, followUps: false }) };
  const restores = new RestoreService({ profiles, tools, keys, backups: safetyBackups, clock, dataDir, activity });
  const drills = new DrillService({ restores, profiles, tools, keys, clock, dataDir, appVersion, libraryKey, activity });
  const runs = new ServerRunService({ profiles, backups, settings, clock, dataDir, libraryKey, activity, afterBackup, drillAfterEveryBackup: () => settings.get().drillAfterBackup, library });
  const runDrills = new RunDrills({ drills, libraryKey });
  const runRestores = new RunRestores({ restores, libraryKey });
  const demo = new DemoServer({ dataDir, profiles });
  const notifications = new Notifications({ desktop: options.desktopNotifier ?? null, activity });
  const schedules = new ScheduleService({ dataDir, clock, profiles, backups, drills, library, activity, notifications, secrets, timeZone, drillAfterEveryBackup: () => settings.get().drillAfterBackup, copies: scheduledCopies, offsiteRetention, runs });
  const health = new HealthService({ profiles, library, schedules, drills, copies, activity, runs, settings, clock });
  const osJob = {
    status: () => osJobStatus(),
    install: (command: Omit<RunDueCommand, 'dataDir'>) => installOsJob({ ...command, dataDir }),
    uninstall: () => uninstallOsJob(),
  };
  return { dataDir, appVersion, secrets, settings, tools, tunnels, profiles, keys, backups, runs, runDrills, runRestores, library, restores, drills, demo, activity, notifications, schedules, osJob, followUps, destinations, copies, resumeCopies, offsiteRetention, health };
}

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
