// Schedules per profile (backup and drill), retention with a live preview, notifications, and the
// catch-up runner `run-due` shared by the app's timer and the OS job.
import path from 'node:path';
import type { CopyService } from '../offsite/copy-service.ts';
import type { ServerRunService } from '../server-run/server-run-service.ts';
import type { RemoteRetention } from '../offsite/remote-retention.ts';
import type { BackupResult } from '../model/backup.ts';
import type { ActivityLog } from '../activity/activity-log.ts';
import type { ArchiveEntry, LibraryService } from '../archive/library-service.ts';
import type { BackupService } from '../backup/backup-service.ts';
import type { DrillService } from '../drill/drill-service.ts';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import type { Notifications } from '../notify/notifier.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import { DEFAULT_RETENTION, planRetention, validateRetention, type RetentionPlan, type RetentionPolicy } from '../retention/retention-policy.ts';
import { tryLock } from './profile-lock.ts';
import { dueSlot, nextRuns } from './schedule-spec.ts';
import { JsonFileStore } from '../settings/json-file-store.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { parseWebhookUrl } from '../notify/webhook-url.ts';
import type { NotificationEvent } from '../notify/notifier.ts';
import { notifyView, resolveWebhook, storeWebhook, type StoredNotify } from './webhook-secret.ts';
import type { DueRun, ProfileSchedule, SchedulePatch, ScheduleView } from '../model/schedule.ts';
export type { DueRun, ProfileSchedule, SchedulePatch, ScheduleView } from '../model/schedule.ts';

/** A schedule as schedules.json holds it (the webhook URL itself only without a keychain). */
type StoredSchedule = Omit<ProfileSchedule, 'notify'> & { notify: StoredNotify };

interface ScheduleFile {
  schedules: StoredSchedule[];
}

export interface ScheduleDeps {
  dataDir: string;
  clock: Clock;
  profiles: ProfileService;
  backups: BackupService;
  drills: DrillService;
  library: LibraryService;
  activity: ActivityLog;
  notifications: Notifications;
  secrets: SecretStore;
  timeZone: () => string;
  /** Settings → "drill after every backup": a scheduled backup is drilled then too (and waited for). */
  drillAfterEveryBackup?: () => boolean;
  /** Offsite copies: a scheduled backup is copied to its profile's destinations (and waited for). */
  copies?: Pick<CopyService, 'startForBackup' | 'resumeInterrupted' | 'lastVerified' | 'newestOffsite' | 'fetchForUse'>;
  /** Retention in each destination: pruned after a scheduled backup's copy there landed (auto-prune on). */
  offsiteRetention?: Pick<RemoteRetention, 'policy' | 'prune'>;
  /** Whole-server runs: a profile with a database scope backs up its whole scope on schedule. */
  runs?: Pick<ServerRunService, 'start'>;
}

export class ScheduleService {
  readonly #file: JsonFileStore<ScheduleFile>;
  readonly #deps: ScheduleDeps;

  constructor(deps: ScheduleDeps) {
    this.#deps = deps;
    this.#file = new JsonFileStore<ScheduleFile>(deps.dataDir, 'schedules', { schedules: [] });
  }

  async list(): Promise<ScheduleView[]> {
    await this.#moveWebhooksToKeychain();
    const profiles = await this.#deps.profiles.list();
    const now = this.#deps.clock.now();
    const timeZone = this.#deps.timeZone();
    return this.#all()
      .filter((s) => profiles.some((p) => p.id === s.profileId))
      .map((s) => ({
        ...s,
        notify: notifyView(s.notify),
        profile: profiles.find((p) => p.id === s.profileId)!.name,
        timeZone,
        next: {
          backup: s.backup ? nextRuns(s.backup, timeZone, now).map((d) => d.toISOString()) : [],
          drill: s.drill ? nextRuns(s.drill, timeZone, now).map((d) => d.toISOString()) : [],
        },
      }));
  }

  async get(profile: string): Promise<ScheduleView> {
    const { id, name } = await this.#deps.profiles.get(profile);
    const existing = (await this.list()).find((s) => s.profileId === id);
    if (existing) return existing;
    const fresh = this.#fresh(id);
    return { ...fresh, notify: notifyView(fresh.notify), profile: name, timeZone: this.#deps.timeZone(), next: { backup: [], drill: [] } };
  }

  /** Changes a profile's schedule; the slots before now count as handled (no run for the past). */
  async set(profile: string, patch: SchedulePatch): Promise<ScheduleView> {
    const { id, name } = await this.#deps.profiles.get(profile);
    // Validate now (a bad time or cron expression throws a LifeboatError with a fix).
    for (const spec of [patch.backup, patch.drill]) if (spec) nextRuns({ ...spec, enabled: true }, this.#deps.timeZone(), this.#deps.clock.now(), 1);
    if (patch.retention) validateRetention(patch.retention);
    const { webhookUrl, ...notifyPatch } = patch.notify ?? {};
    // The error never repeats the URL: it may carry a token.
    if (webhookUrl && !parseWebhookUrl(webhookUrl)) throw new LifeboatError('INVALID_INPUT', 'The webhook URL must be a full http:// or https:// address.', 'Paste the URL your chat or monitoring tool gave you.');
    const now = this.#deps.clock.now().toISOString();
    const current = this.#all().find((s) => s.profileId === id) ?? this.#fresh(id);
    const webhook = webhookUrl === undefined ? {} : await storeWebhook(this.#deps.secrets, id, webhookUrl);
    const next: StoredSchedule = {
      ...current,
      ...patch,
      notify: { ...current.notify, ...notifyPatch, ...webhook },
      retention: { ...current.retention, ...patch.retention },
      handled: { backup: patch.backup ? now : current.handled.backup, drill: patch.drill ? now : current.handled.drill, staleAlert: current.handled.staleAlert, ...(current.handled.staleOffsite ? { staleOffsite: current.handled.staleOffsite } : {}) },
    };
    this.#save([...this.#all().filter((s) => s.profileId !== id), next]);
    await this.#deps.activity.add({ what: 'schedule', title: `Schedule of "${name}" changed`, profile: name, archive: null, result: 'info', durationMs: null, error: null });
    return this.get(id);
  }

  /**
   * Every archive of the profile with keep/delete and the reasons; nothing is deleted. Only archives
   * recognised as this Lifeboat's (ArchiveEntry.recognised) are planned: anyone who can write to the
   * folder can write a sidecar claiming this profile, future dates and "verified", and such files must
   * neither take a GFS slot nor the "newest proven" protection from a real backup. The others are
   * listed, kept, and never counted.
   */
  async previewRetention(profile: string, policy?: RetentionPolicy): Promise<RetentionPlan> {
    const { name, id } = await this.#deps.profiles.get(profile);
    const schedule = this.#all().find((s) => s.profileId === id) ?? this.#fresh(id);
    const listed = await this.#deps.library.list({ profile: name });
    const { unique, copies } = splitCopies(listed.filter((a) => a.recognised && !a.sidecar.partial));
    const failing = await this.#latestRunsFailing(name);
    const plan = planRetention(
      unique.map((a) => ({ path: a.path, createdAt: a.sidecar.createdAt, proven: Boolean(a.sidecar.verification?.ok || a.sidecar.drill?.passed), group: a.sidecar.database })),
      policy ?? schedule.retention,
      { timeZone: this.#deps.timeZone(), latestRunsFailing: failing },
    );
    return withUnrecognised(withCopies(plan, copies), listed.filter((a) => !a.recognised));
  }

  /** Deletes what the policy says (only this profile's Lifeboat archives), logging each deletion. */
  async prune(profile: string, options: { dryRun?: boolean } = {}): Promise<RetentionPlan & { deleted: string[] }> {
    const { name } = await this.#deps.profiles.get(profile);
    const plan = await this.previewRetention(profile);
    const deleted: string[] = [];
    if (!options.dryRun && !plan.blocked) {
      for (const decision of plan.decisions.filter((d) => !d.keep)) {
        await this.#deps.library.remove(decision.path);
        deleted.push(decision.path);
      }
      await this.#deps.activity.add({ what: 'prune', title: `Pruned ${deleted.length} archive(s) of "${name}"`, profile: name, archive: null, result: 'ok', durationMs: null, error: null });
    }
    return { ...plan, deleted };
  }

  /** Runs what is due (once per missed slot group), each profile under its lock. */
  async runDue(): Promise<DueRun[]> {
    const via = this.#deps.activity.via;
    this.#deps.activity.via = 'schedule';
    try {
      return await this.#runDue();
    } finally {
      this.#deps.activity.via = via;
    }
  }

  async #runDue(): Promise<DueRun[]> {
    await this.#moveWebhooksToKeychain();
    const runs: DueRun[] = [];
    const now = this.#deps.clock.now();
    const timeZone = this.#deps.timeZone();
    for (const schedule of this.#all()) {
      const profile = await this.#deps.profiles.get(schedule.profileId).catch(() => null);
      if (!profile) continue;
      const backupSlot = schedule.backup ? dueSlot(schedule.backup, timeZone, new Date(schedule.handled.backup), now) : null;
      const drillSlot = schedule.drill ? dueSlot(schedule.drill, timeZone, new Date(schedule.handled.drill), now) : null;
      if (backupSlot || drillSlot) {
        const lock = await tryLock(this.#deps.dataDir, profile.id);
        if (!lock) {
          runs.push({ profile: profile.name, kind: backupSlot ? 'backup' : 'drill', result: 'skipped', detail: 'Another Lifeboat process is running a job for this profile.' });
          continue;
        }
        try {
          // Re-read under the lock: another runner may have handled the slot meanwhile.
          const fresh = this.#all().find((s) => s.profileId === schedule.profileId)!;
          if (backupSlot && new Date(fresh.handled.backup) < backupSlot) {
            this.#markHandled(schedule.profileId, 'backup', now.toISOString());
            runs.push(...(await this.#scheduledBackup(profile.name, fresh)));
          }
          if (drillSlot && new Date(fresh.handled.drill) < drillSlot) {
            this.#markHandled(schedule.profileId, 'drill', now.toISOString());
            runs.push(await this.#drillLatest(profile.name, fresh));
          }
        } finally {
          await lock.release();
        }
      }
      const stale = await this.#staleAlert(profile.name, schedule, now);
      if (stale) runs.push(stale);
      runs.push(...(await this.#staleOffsiteAlerts(profile, schedule, now)));
    }
    runs.push(...(await this.#resumeCopies()));
    return runs;
  }

  /** Uploads a killed or failed run left unfinished go on where they stopped. */
  async #resumeCopies(): Promise<DueRun[]> {
    const runs: DueRun[] = [];
    for (const { job, destination, profileId, archive } of (await this.#deps.copies?.resumeInterrupted()) ?? []) {
      const profile = await this.#deps.profiles.get(profileId).then((p) => p.name, () => profileId);
      const outcome = await job.result.then(() => null, (error: unknown) => toErrorInfo(error));
      runs.push({ profile, kind: 'copy', result: outcome ? 'failed' : 'ok', detail: outcome ? `${destination}: ${outcome.message}` : `resumed the copy to ${destination}; verified`, archive });
    }
    return runs;
  }

  async testWebhook(profile: string): Promise<{ ok: boolean; attempts: number; error: string | null }> {
    const view = await this.get(profile);
    const stored = this.#all().find((s) => s.profileId === view.profileId);
    const { url, problem } = stored ? await resolveWebhook(this.#deps.secrets, view.profileId, stored.notify) : { url: null, problem: null };
    if (problem) throw new LifeboatError('KEYCHAIN', `The webhook of "${view.profile}" cannot be used: ${problem}.`, 'Unlock the keychain, or paste the webhook URL again in Schedules → Notifications.');
    if (!url) throw new LifeboatError('INVALID_INPUT', `"${view.profile}" has no webhook URL.`, 'Set one in Schedules → Notifications.');
    const result = await this.#deps.notifications.send({ kind: 'test', profile: view.profile, text: `Lifeboat test notification for "${view.profile}": webhooks work.` }, { webhookUrl: url, desktop: false });
    return { ok: result!.ok, attempts: result!.attempts, error: result!.error };
  }

  async #scheduledBackup(profile: string, schedule: StoredSchedule): Promise<DueRun[]> {
    if (this.#deps.runs && (await this.#deps.profiles.get(profile)).scope) return this.#scheduledRun(profile, schedule);
    const runs: DueRun[] = [];
    // The schedule drills (and waits for the drill) itself: no follow-up job of its own.
    const job = this.#deps.backups.start({ profile, followUps: false });
    try {
      const result = await job.result;
      runs.push({ profile, kind: 'backup', result: 'ok', detail: `${result.tables} tables, ${result.bytes} bytes`, archive: result.archive });
      if (schedule.notify.onSuccess) await this.#notify(schedule, { kind: 'backup-succeeded', profile, text: `Lifeboat backed up "${profile}": ${result.archive}`, archive: result.archive });
      runs.push(...(await this.#afterScheduledBackup(profile, [result], schedule)));
    } catch (error) {
      const info = toErrorInfo(error);
      runs.push({ profile, kind: 'backup', result: 'failed', detail: info.message });
      await this.#notify(schedule, { kind: 'backup-failed', profile, text: `Lifeboat: the scheduled backup of "${profile}" FAILED: ${info.message}${info.fix ? ` Fix: ${info.fix}` : ''}`, error: info.message });
    }
    return runs;
  }

  /**
   * A profile with a database scope: the whole scope in one run. A partial run notifies as a failure
   * naming the databases that failed; the archives it made are copied and drilled like any.
   */
  async #scheduledRun(profile: string, schedule: StoredSchedule): Promise<DueRun[]> {
    const runs: DueRun[] = [];
    try {
      const { record, file, archives } = await this.#deps.runs!.start({ profile, followUps: false }).result;
      const failed = record.databases.filter((d) => d.outcome !== 'ok');
      const detail = `${record.databases.length - failed.length} of ${record.databases.length} databases backed up${failed.length ? `; FAILED: ${failed.map((d) => `${d.name} (${d.error?.message ?? d.outcome})`).join('; ')}` : ''}`;
      runs.push({ profile, kind: 'backup', result: failed.length ? 'failed' : 'ok', detail, archive: file });
      if (failed.length) {
        await this.#notify(schedule, { kind: 'backup-failed', profile, text: `Lifeboat: the scheduled backup of "${profile}" was ${record.outcome === 'partial' ? 'PARTIAL' : 'FAILED'}: ${detail}`, error: detail });
      } else if (schedule.notify.onSuccess) {
        await this.#notify(schedule, { kind: 'backup-succeeded', profile, text: `Lifeboat backed up all ${archives.length} databases of "${profile}": ${file}`, archive: file });
      }
      runs.push(...(await this.#afterScheduledBackup(profile, archives.map((archive) => ({ archive, profileId: record.profileId })), schedule)));
    } catch (error) {
      const info = toErrorInfo(error);
      runs.push({ profile, kind: 'backup', result: 'failed', detail: info.message });
      await this.#notify(schedule, { kind: 'backup-failed', profile, text: `Lifeboat: the scheduled backup of "${profile}" FAILED: ${info.message}${info.fix ? ` Fix: ${info.fix}` : ''}`, error: info.message });
    }
    return runs;
  }

  /** Copies, drills (one archive after another) and prunes after a scheduled backup or run. */
  async #afterScheduledBackup(profile: string, made: Pick<BackupResult, 'archive' | 'profileId'>[], schedule: StoredSchedule): Promise<DueRun[]> {
    const runs: DueRun[] = [];
    const copies: DueRun[] = [];
    for (const backup of made) copies.push(...(await this.#copyOffsite(profile, backup, schedule)));
    runs.push(...copies);
    if (schedule.drillAfterBackup || this.#deps.drillAfterEveryBackup?.()) {
      for (const backup of made) runs.push(await this.#drill(profile, backup.archive, schedule));
    }
    // A copy that did not land keeps every local archive this run: the local ones may be the only copies.
    if (schedule.autoPrune && copies.some((run) => run.result === 'failed')) runs.push({ profile, kind: 'prune', result: 'skipped', detail: 'Not pruned: the offsite copy of this backup failed.' });
    else if (schedule.autoPrune) {
      const pruned = await this.prune(profile);
      runs.push({ profile, kind: 'prune', result: 'ok', detail: pruned.blocked ?? `${pruned.deleted.length} archive(s) deleted` });
      runs.push(...(await this.#pruneDestinations(profile, copies)));
    }
    return runs;
  }

  /** Prunes each destination this run's copy landed in, by its own policy (none: kept as is). */
  async #pruneDestinations(profile: string, copies: DueRun[]): Promise<DueRun[]> {
    const runs: DueRun[] = [];
    for (const copy of copies.filter((c) => c.result === 'ok' && c.destination)) {
      const destination = copy.destination!;
      if (!this.#deps.offsiteRetention?.policy(destination)) continue;
      const pruned = await this.#deps.offsiteRetention.prune(destination).catch((error: unknown) => toErrorInfo(error));
      if ('code' in pruned) runs.push({ profile, kind: 'prune', result: 'failed', detail: `${destination}: ${pruned.message}`, destination });
      else runs.push({ profile, kind: 'prune', result: 'ok', detail: `${destination}: ${pruned.blocked ?? `${pruned.deleted.length} copy(ies) deleted`}${Object.keys(pruned.lockedUntil).length ? `, ${Object.keys(pruned.lockedUntil).length} kept under Object Lock` : ''}`, destination });
    }
    return runs;
  }

  /** Copies the new backup to each of the profile's destinations; a failure is loud (notified), never fatal to the backup. */
  async #copyOffsite(profile: string, backup: Pick<BackupResult, 'archive' | 'profileId'>, schedule: StoredSchedule): Promise<DueRun[]> {
    const runs: DueRun[] = [];
    for (const { job, destination } of this.#deps.copies?.startForBackup(backup.archive, backup.profileId) ?? []) {
      try {
        const copied = await job.result;
        runs.push({ profile, kind: 'copy', result: 'ok', detail: `copied to ${destination} and verified`, archive: copied.archive, destination });
      } catch (error) {
        const info = toErrorInfo(error);
        runs.push({ profile, kind: 'copy', result: 'failed', detail: `${destination}: ${info.message}`, archive: backup.archive, destination });
        await this.#notify(schedule, { kind: 'copy-failed', profile, text: `Lifeboat: the offsite copy of "${profile}" to ${destination} FAILED: ${info.message}${info.fix ? ` Fix: ${info.fix}` : ''} The local backup is kept.`, archive: backup.archive, error: info.message });
      }
    }
    return runs;
  }

  async #drillLatest(profile: string, schedule: StoredSchedule): Promise<DueRun> {
    if (schedule.drillSource === 'offsite') return this.#drillNewestOffsite(profile, schedule);
    // The newest of this Lifeboat's own backups: a stranger's file with a later date is never the drill target.
    const latest = (await this.#deps.library.list({ profile })).find((a) => a.recognised);
    if (!latest) return { profile, kind: 'drill', result: 'skipped', detail: 'No backup to drill yet.' };
    return this.#drill(profile, latest.path, schedule);
  }

  /**
   * The newest copy of this computer's own backups in the profile's destinations, downloaded into a
   * private folder (checked against its remote sidecar) and drilled: proof that the copy which
   * survives a lost laptop restores. A copy that does not download intact is a failed drill.
   */
  async #drillNewestOffsite(profile: string, schedule: StoredSchedule): Promise<DueRun> {
    const copies = this.#deps.copies;
    const newest = copies ? await copies.newestOffsite(schedule.profileId).catch((error: unknown) => toErrorInfo(error)) : null;
    if (newest && 'code' in newest) return this.#drillFailed(profile, schedule, `the destinations could not be listed: ${newest.message}`);
    if (!newest || !copies) return { profile, kind: 'drill', result: 'skipped', detail: 'No offsite copy to drill yet.' };
    const fetched = await copies.fetchForUse(newest.destinationId, newest.name).result.catch((error: unknown) => toErrorInfo(error));
    if ('code' in fetched) return this.#drillFailed(profile, schedule, `the copy ${newest.name} in ${newest.destination} did not download intact: ${fetched.message}`);
    try {
      const run = await this.#drill(profile, fetched.file, schedule);
      return { ...run, archive: `${newest.destination}:${newest.name}`, destination: newest.destination };
    } finally {
      await fetched.release();
    }
  }

  async #drillFailed(profile: string, schedule: StoredSchedule, why: string): Promise<DueRun> {
    await this.#notify(schedule, { kind: 'drill-failed', profile, text: `Lifeboat: the drill of the newest offsite copy of "${profile}" FAILED: ${why}.` });
    return { profile, kind: 'drill', result: 'failed', detail: why };
  }

  async #drill(profile: string, archive: string, schedule: StoredSchedule): Promise<DueRun> {
    const job = this.#deps.drills.start({ file: archive });
    const record = await job.result.catch((error: unknown) => ({ passed: false, couldNotRun: true, error: toErrorInfo(error) }));
    const passed = record.passed;
    if (!passed || schedule.notify.onSuccess) {
      await this.#notify(schedule, { kind: passed ? 'drill-succeeded' : 'drill-failed', profile, text: passed ? `Lifeboat: the drill of "${profile}" passed (${archive}).` : `Lifeboat: the drill of "${profile}" FAILED for ${archive}${record.error ? `: ${record.error.message}` : ''}.`, archive });
    }
    return { profile, kind: 'drill', result: passed ? 'ok' : 'failed', detail: passed ? 'passed' : (record.error?.message ?? 'checks did not match'), archive };
  }

  /** "No successful backup for X hours" fires even when nothing ran; at most once per X hours. */
  async #staleAlert(profile: string, schedule: StoredSchedule, now: Date): Promise<DueRun | null> {
    const hours = schedule.notify.staleHours;
    if (!hours) return null;
    // Only this Lifeboat's own backups prove one succeeded: a stranger's sidecar with a recent date must not silence the alert.
    const latest = (await this.#deps.library.list({ profile })).find((a) => a.recognised);
    const lastOk = latest ? new Date(latest.sidecar.finishedAt) : null;
    const limit = now.getTime() - hours * 3_600_000;
    if (lastOk && lastOk.getTime() >= limit) return null;
    if (schedule.handled.staleAlert && new Date(schedule.handled.staleAlert).getTime() >= limit) return null;
    const current = this.#all().find((s) => s.profileId === schedule.profileId)!;
    this.#save(this.#all().map((s) => (s.profileId === schedule.profileId ? { ...current, handled: { ...current.handled, staleAlert: now.toISOString() } } : s)));
    const text = `Lifeboat: no successful backup of "${profile}" for more than ${hours} hours${lastOk ? ` (last: ${lastOk.toISOString()})` : ''}.`;
    await this.#notify(schedule, { kind: 'stale', profile, text });
    return { profile, kind: 'stale-alert', result: 'ok', detail: text };
  }

  /**
   * The same limit for each destination: "no verified offsite copy in DEST for N hours" — loud even
   * when the destination cannot be reached at all (its copies then fail and none is verified).
   */
  async #staleOffsiteAlerts(profile: { id: string; name: string }, schedule: StoredSchedule, now: Date): Promise<DueRun[]> {
    const hours = schedule.notify.staleHours;
    if (!hours || !this.#deps.copies) return [];
    const limit = now.getTime() - hours * 3_600_000;
    const runs: DueRun[] = [];
    for (const { destinationId, destination, verifiedAt, since } of await this.#deps.copies.lastVerified(profile.id)) {
      // A destination added less than N hours ago has not had its chance yet.
      if ((verifiedAt && new Date(verifiedAt).getTime() >= limit) || new Date(since).getTime() >= limit) continue;
      const current = this.#all().find((s) => s.profileId === schedule.profileId) ?? schedule;
      const sent = current.handled.staleOffsite?.[destinationId];
      if (sent && new Date(sent).getTime() >= limit) continue;
      this.#save(this.#all().map((s) => (s.profileId === schedule.profileId ? { ...current, handled: { ...current.handled, staleOffsite: { ...current.handled.staleOffsite, [destinationId]: now.toISOString() } } } : s)));
      const text = `Lifeboat: no verified offsite copy of "${profile.name}" in ${destination} for more than ${hours} hours${verifiedAt ? ` (last: ${verifiedAt})` : ' (none yet)'}.`;
      await this.#notify(schedule, { kind: 'stale', profile: profile.name, text });
      runs.push({ profile: profile.name, kind: 'stale-alert', result: 'ok', detail: text, destination });
    }
    return runs;
  }

  async #latestRunsFailing(profile: string): Promise<string | null> {
    const [latest] = await this.#deps.activity.list({ what: 'backup', profile, limit: 1 });
    return latest && latest.result === 'failed' ? `the last backup, ${latest.at}, failed: ${latest.error?.message ?? 'error'}` : null;
  }

  #markHandled(profileId: string, kind: 'backup' | 'drill', at: string): void {
    this.#save(this.#all().map((s) => (s.profileId === profileId ? { ...s, handled: { ...s.handled, [kind]: at } } : s)));
  }

  /** Desktop and webhook as the schedule says; a webhook that cannot be reached is logged, never skipped silently. */
  async #notify(schedule: StoredSchedule, event: NotificationEvent): Promise<void> {
    const { url, problem } = await resolveWebhook(this.#deps.secrets, schedule.profileId, schedule.notify);
    await this.#deps.notifications.send(event, { webhookUrl: url, desktop: schedule.notify.desktop });
    if (problem) {
      await this.#deps.activity.add({ what: 'notification', title: `Webhook for "${event.kind}" not sent`, profile: event.profile, archive: event.archive ?? null, result: 'failed', durationMs: null, error: { code: 'KEYCHAIN', message: `The webhook of "${event.profile}" was not sent: ${problem}.`, fix: 'Run scheduled jobs where the keychain is unlocked (the app, or a systemd user timer in your desktop session), or paste the webhook URL again from a session without a keychain to keep it in schedules.json, readable only by you.' } });
    }
  }

  /** Webhook URLs of older versions were kept in schedules.json: into the keychain when there is one. */
  async #moveWebhooksToKeychain(): Promise<void> {
    const legacy = this.#all().filter((s) => s.notify.webhookUrl && s.notify.webhookStorage !== 'file');
    if (!legacy.length) return;
    const moved = new Map<string, StoredNotify>();
    for (const s of legacy) moved.set(s.profileId, { ...s.notify, ...(await storeWebhook(this.#deps.secrets, s.profileId, s.notify.webhookUrl!)) });
    this.#save(this.#all().map((s) => (moved.has(s.profileId) ? { ...s, notify: moved.get(s.profileId)! } : s)));
  }

  #fresh(profileId: string): StoredSchedule {
    const now = this.#deps.clock.now().toISOString();
    return { profileId, backup: null, drill: null, drillAfterBackup: false, retention: DEFAULT_RETENTION, autoPrune: false, notify: { webhook: null, webhookStorage: null, onSuccess: false, desktop: true, staleHours: null }, handled: { backup: now, drill: now, staleAlert: null } };
  }

  #all(): StoredSchedule[] {
    return this.#file.get('schedules');
  }

  #save(schedules: StoredSchedule[]): void {
    this.#file.set('schedules', schedules);
  }
}

export const NOT_RECOGNISED_REASON = "not recognised as this Lifeboat's backup: never counted, never deleted";

/**
 * Recognised archives with the same sha256 are copies of one backup (say, in a second library folder)
 * — or a genuine sidecar copied next to other bytes of the same name and size, which a listing cannot
 * tell apart without hashing. Either way one counts, and the others share its decision: a copy never
 * takes a slot from, or gets kept instead of, the backup it repeats.
 */
function splitCopies(archives: ArchiveEntry[]): { unique: ArchiveEntry[]; copies: { entry: ArchiveEntry; of: string }[] } {
  const first = new Map<string, ArchiveEntry>();
  const copies: { entry: ArchiveEntry; of: string }[] = [];
  for (const entry of archives) {
    const original = first.get(entry.sidecar.sha256);
    if (original) copies.push({ entry, of: original.path });
    else first.set(entry.sidecar.sha256, entry);
  }
  return { unique: [...first.values()], copies };
}

function withCopies(plan: RetentionPlan, copies: { entry: ArchiveEntry; of: string }[]): RetentionPlan {
  const decided = copies.map(({ entry, of }) => {
    const original = plan.decisions.find((d) => d.path === of)!;
    return { path: entry.path, createdAt: entry.sidecar.createdAt, keep: original.keep, reasons: [...original.reasons, `same sha256 as ${path.basename(of)}: a copy, decided with it`] };
  });
  return { ...plan, decisions: [...plan.decisions, ...decided].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) };
}

/** The plan with the unrecognised archives added as kept (newest first, like the plan's own decisions). */
function withUnrecognised(plan: RetentionPlan, strangers: ArchiveEntry[]): RetentionPlan {
  const kept = strangers.map((a) => ({ path: a.path, createdAt: a.sidecar.createdAt, keep: true, reasons: [NOT_RECOGNISED_REASON] }));
  return { ...plan, decisions: [...plan.decisions, ...kept].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) };
}

