import path from 'node:path';
import type { ActivityKind } from '../../engine/activity/activity-log.ts';
import { visibleText } from '../../engine/name-text.ts';
import type { NotifyPatch } from '../../engine/schedule/webhook-secret.ts';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../../engine/retention/retention-policy.ts';
import type { Engine } from '../../engine/index.ts';
import { installOsJob, osJobStatus, uninstallOsJob } from '../../engine/schedule/os-job.ts';
import type { ScheduleSpec } from '../../engine/schedule/schedule-spec.ts';
import type { Command, Values } from '../cli-command.ts';
import { printable, readStdin, table, UsageError, type Output } from '../cli-output.ts';

export const SCHEDULE_COMMANDS: Record<string, Command> = {
  'schedule set': {
    usage: 'schedule set --profile P (--hourly | --daily HH:MM | --weekly DAY@HH:MM | --monthly N@HH:MM | --cron EXPR | --disable) [--drill (daily HH:MM | weekly DAY@HH:MM | cron EXPR | off)] [--drill-from local|offsite] [--drill-after-backup] [--auto-prune] [--webhook-stdin | --no-webhook] [--notify-success] [--stale-hours N] [--json]',
    summary: 'when a profile is backed up (and drilled), in this computer\'s time zone',
    options: ['profile', 'hourly', 'daily', 'weekly', 'monthly', 'cron', 'disable', 'drill', 'drill-from', 'drill-after-backup', 'no-drill-after-backup', 'auto-prune', 'webhook', 'webhook-stdin', 'no-webhook', 'notify-success', 'stale-hours'],
    async run({ engine, out, values }) {
      if (!values.profile) throw new UsageError('schedule set needs --profile P');
      const backup = backupSpec(values);
      const patch: Parameters<typeof engine.schedules.set>[1] = {};
      if (backup !== undefined) patch.backup = backup;
      if (values.drill) patch.drill = drillSpec(values.drill);
      if (values['drill-from'] !== undefined) {
        if (values['drill-from'] !== 'local' && values['drill-from'] !== 'offsite') throw new UsageError('--drill-from takes local (the newest backup here) or offsite (the newest copy in the profile\'s destinations)');
        patch.drillSource = values['drill-from'];
      }
      if (values['drill-after-backup']) patch.drillAfterBackup = true;
      if (values['no-drill-after-backup']) patch.drillAfterBackup = false;
      if (values['auto-prune']) patch.autoPrune = true;
      const notify: NotifyPatch = {};
      const webhook = await webhookOption(values, out);
      if (webhook !== undefined) notify.webhookUrl = webhook;
      if (values['notify-success']) notify.onSuccess = true;
      if (values['stale-hours'] !== undefined) notify.staleHours = count(values['stale-hours'], '--stale-hours') || null;
      if (Object.keys(notify).length) patch.notify = notify;
      const view = await engine.schedules.set(values.profile, patch);
      out.result(view, () => describe([view]));
    },
  },
  'schedule list': {
    usage: 'schedule list [--json]',
    summary: 'schedules with their next run times, and whether the OS job is installed',
    options: [],
    async run({ engine, out }) {
      const schedules = await engine.schedules.list();
      const osJob = await osJobStatus().catch(() => ({ installed: false, kind: null, where: null }));
      out.result({ schedules, osJob }, () => `${schedules.length ? describe(schedules) : 'No schedules yet: lifeboat schedule set --profile P --daily 01:00'}\n\nRuns while the app is closed: ${osJob.installed ? `yes (${osJob.kind}: ${osJob.where})` : 'no — lifeboat schedule install'}`);
    },
  },
  'schedule install': {
    usage: 'schedule install [--json]',
    summary: 'register an OS job (systemd user timer or crontab; launchd; Task Scheduler) that runs "lifeboat run-due" every 5 minutes',
    options: [],
    async run({ engine, out, entry }) {
      const bin = path.resolve(entry.bin);
      // The job runs without this shell's environment: pin the tools Lifeboat uses now.
      const bundled = (await engine.tools.report()).bundledDir;
      const status = await installOsJob({ executable: process.execPath, args: [bin], dataDir: engine.dataDir, ...(bundled ? { env: { LIFEBOAT_BUNDLED_PG_TOOLS: bundled } } : {}) });
      out.result(status, () => `Installed (${status.kind}: ${status.where}). Due backups now run even when the app is closed.`);
    },
  },
  'schedule uninstall': {
    usage: 'schedule uninstall [--json]',
    summary: 'remove the OS job',
    options: [],
    async run({ out }) {
      const status = await uninstallOsJob();
      out.result(status, () => 'Removed: backups run only while the app is open.');
    },
  },
  'run-due': {
    usage: 'run-due [--json]',
    summary: 'run every scheduled backup or drill that is due (missed ones once), then exit — what the OS job calls',
    options: [],
    async run({ engine, out }) {
      const runs = await engine.schedules.runDue();
      out.result({ runs }, () => (runs.length ? runs.map((r) => `${r.result === 'ok' ? '✓' : r.result === 'skipped' ? '-' : '✗'} ${r.profile} ${r.kind}: ${r.detail}`).join('\n') : 'Nothing is due.'));
      if (runs.some((r) => r.result === 'failed')) process.exitCode = 1;
    },
  },
  'retention set': {
    usage: 'retention set (--profile P | --destination DEST [--disable]) [--keep-last N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--keep-yearly N] [--keep-minimum N] [--json]',
    summary: 'how many backups to keep (GFS), locally or in a destination; shows what a prune would do',
    options: ['profile', 'destination', 'disable', 'keep-last', 'keep-daily', 'keep-weekly', 'keep-monthly', 'keep-yearly', 'keep-minimum'],
    async run({ engine, out, values }) {
      if (values.destination) return setDestinationRetention(engine, out, values);
      if (!values.profile) throw new UsageError('retention set needs --profile P (or --destination DEST)');
      const retention: Partial<RetentionPolicy> = {};
      Object.assign(retention, retentionFlags(values));
      const view = await engine.schedules.set(values.profile, { retention: retention as RetentionPolicy });
      const preview = await engine.schedules.previewRetention(values.profile);
      out.result({ retention: view.retention, preview }, () => `Retention of "${view.profile}": ${describeRetention(view.retention)}\n${describePlan(preview.decisions, preview.blocked)}`);
    },
  },
  prune: {
    usage: 'prune --profile P [--destination DEST] [--dry-run] [--json]',
    summary: 'delete the profile\'s archives (locally, or the copies in DEST) the retention policy does not keep (each with keep/delete and the reason)',
    options: ['profile', 'destination', 'dry-run'],
    async run({ engine, out, values }) {
      if (!values.profile) throw new UsageError('prune needs --profile P');
      if (values.destination) return pruneDestination(engine, out, values.profile, values.destination, values['dry-run'] ?? false);
      const result = await engine.schedules.prune(values.profile, { dryRun: values['dry-run'] ?? false });
      out.result(
        { dryRun: values['dry-run'] ?? false, blocked: result.blocked, archives: result.decisions.map((d) => ({ path: d.path, createdAt: d.createdAt, action: d.keep ? 'keep' : 'delete', reasons: d.reasons })), deleted: result.deleted },
        () => `${describePlan(result.decisions, result.blocked)}\n${values['dry-run'] ? 'Dry run: nothing was deleted.' : `Deleted ${result.deleted.length} archive(s).`}`,
      );
    },
  },
  activity: {
    usage: 'activity [--profile P] [--what backup|restore|drill|verify|prune|schedule|settings|notification] [--limit N] [--json]',
    summary: 'everything Lifeboat did, newest first',
    options: ['profile', 'what', 'limit'],
    async run({ engine, out, values }) {
      const entries = await engine.activity.list({ ...(values.profile ? { profile: values.profile } : {}), ...(values.what ? { what: values.what as ActivityKind } : {}), limit: values.limit ? count(values.limit, '--limit') : 200 });
      out.result({ entries }, () =>
        entries.length
          ? table([['WHEN (UTC)', 'WHAT', 'RESULT', 'PROFILE', 'DETAIL'], ...entries.map((e) => [e.at.replace('T', ' ').slice(0, 19), e.what, e.result, e.profile ?? '—', e.error ? e.error.message : (e.archive ?? e.title)])])
          : 'Nothing yet.',
      );
    },
  },
};

function count(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} takes a whole number`);
  return n;
}

/** --weekly mon@01:00, --monthly 1@01:00 */
function backupSpec(values: Values): ScheduleSpec | null | undefined {
  const chosen = [values.hourly, values.daily, values.weekly, values.monthly, values.cron, values.disable].filter((v) => v !== undefined && v !== false).length;
  if (chosen > 1) throw new UsageError('choose one of --hourly, --daily, --weekly, --monthly, --cron, --disable');
  if (values.disable) return null;
  if (values.hourly) return { preset: 'hourly', time: '00:00', enabled: true };
  if (values.daily) return { preset: 'daily', time: values.daily, enabled: true };
  if (values.weekly) return { preset: 'weekly', ...dayAt(values.weekly, 'weekly'), enabled: true };
  if (values.monthly) return { preset: 'monthly', ...dayAt(values.monthly, 'monthly'), enabled: true };
  if (values.cron) return { preset: 'cron', cron: values.cron, enabled: true };
  return undefined;
}

function drillSpec(text: string): ScheduleSpec | null {
  if (text === 'off') return null;
  const [kind, rest] = [text.split(' ')[0]!, text.split(' ').slice(1).join(' ')];
  if (kind === 'daily') return { preset: 'daily', time: rest || '03:00', enabled: true };
  if (kind === 'weekly') return { preset: 'weekly', ...dayAt(rest || 'sun@03:00', 'weekly'), enabled: true };
  if (kind === 'cron') return { preset: 'cron', cron: rest, enabled: true };
  throw new UsageError('--drill takes "daily HH:MM", "weekly DAY@HH:MM", "cron EXPR" or "off"');
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function dayAt(text: string, kind: 'weekly' | 'monthly'): Partial<ScheduleSpec> {
  const [day, time] = text.split('@');
  if (!day || !time) throw new UsageError(`--${kind} takes ${kind === 'weekly' ? 'DAY@HH:MM, e.g. sun@01:00' : 'N@HH:MM, e.g. 1@01:00'}`);
  if (kind === 'weekly') {
    const weekday = DAYS.indexOf(day.slice(0, 3).toLowerCase());
    if (weekday < 0) throw new UsageError(`"${day}" is not a day of the week`);
    return { weekday, time };
  }
  const dayOfMonth = Number(day);
  if (!Number.isInteger(dayOfMonth) || dayOfMonth < 1 || dayOfMonth > 28) throw new UsageError('the day of the month is 1–28 (every month has it)');
  return { dayOfMonth, time };
}

function describeRetention(r: RetentionPolicy): string {
  return `last ${r.keepLast}, daily ${r.keepDaily}, weekly ${r.keepWeekly}, monthly ${r.keepMonthly}, yearly ${r.keepYearly}, at least ${r.keepMinimum}`;
}

function describePlan(decisions: { path: string; keep: boolean; reasons: string[] }[], blocked: string | null): string {
  return [
    ...(blocked ? [blocked] : []),
    ...decisions.map((d) => `  ${d.keep ? 'keep  ' : 'delete'} ${visibleText(path.basename(d.path))}${d.reasons.length ? ` (${visibleText(d.reasons.join(', '))})` : ''}`),
  ].join('\n');
}

function describe(views: Awaited<ReturnType<import('../../engine/index.ts').Engine['schedules']['list']>>): string {
  return views
    .map((v) => [
      `${visibleText(v.profile)} (${v.timeZone})`,
      `  backup: ${v.backup ? `${v.backup.preset}${v.backup.time && v.backup.preset !== 'hourly' ? ` ${v.backup.time}` : ''}${v.backup.cron ? ` ${v.backup.cron}` : ''}; next ${v.next.backup.join(', ')}` : 'not scheduled'}`,
      `  drill:  ${v.drill ? `${v.drill.preset} ${v.drill.time ?? v.drill.cron ?? ''}; next ${v.next.drill.join(', ')}` : v.drillAfterBackup ? 'after every backup' : 'not scheduled'}`,
      `  retention: ${describeRetention(v.retention)}${v.autoPrune ? ', pruned after each backup' : ''}`,
      `  notify: ${v.notify.webhook ? `webhook ${v.notify.webhook} (${v.notify.webhookStorage === 'keychain' ? 'URL in the keychain' : 'URL in schedules.json: no keychain'})` : 'desktop only'}${v.notify.onSuccess ? ', also on success' : ''}${v.notify.staleHours ? `, alert after ${v.notify.staleHours} h without a backup` : ''}`,
    ].join('\n'))
    .join('\n');
}

/**
 * The webhook change asked for: a URL read from stdin (a URL on the command line is in the process
 * list for every local user to read, and often carries a token), null to remove, undefined to keep.
 */
async function webhookOption(values: Values, out: Output): Promise<string | null | undefined> {
  if (values['no-webhook']) return null;
  if (values['webhook-stdin']) return (await readStdin('--webhook-stdin', 'the webhook URL')).trim() || null;
  if (values.webhook === undefined) return undefined;
  if (values.webhook) out.note('lifeboat: warning: the webhook URL was given on the command line, where other users of this computer can see it in the process list. Prefer --webhook-stdin.');
  return values.webhook || null;
}

function retentionFlags(values: Values): Partial<RetentionPolicy> {
  const retention: Partial<RetentionPolicy> = {};
  const map: [keyof RetentionPolicy, string | undefined, string][] = [
    ['keepLast', values['keep-last'], '--keep-last'], ['keepDaily', values['keep-daily'], '--keep-daily'], ['keepWeekly', values['keep-weekly'], '--keep-weekly'],
    ['keepMonthly', values['keep-monthly'], '--keep-monthly'], ['keepYearly', values['keep-yearly'], '--keep-yearly'], ['keepMinimum', values['keep-minimum'], '--keep-minimum'],
  ];
  for (const [key, value, flag] of map) if (value !== undefined) retention[key] = count(value, flag);
  return retention;
}

/** A destination's own policy (from the default GFS policy plus the flags), or none with --disable. */
async function setDestinationRetention(engine: Engine, out: Output, values: Values): Promise<void> {
  const destination = values.destination!;
  const current = engine.offsiteRetention.policy(destination);
  const policy = values.disable ? null : { ...(current ?? DEFAULT_RETENTION), ...retentionFlags(values) };
  engine.offsiteRetention.setPolicy(destination, policy);
  const preview = await engine.offsiteRetention.preview(destination);
  out.result({ destination, retention: policy, preview: { decisions: preview.decisions, blocked: preview.blocked } }, () => `Retention in ${printable(destination)}: ${policy ? describeRetention(policy) : 'none (every copy is kept)'}\n${describePlan(preview.decisions, preview.blocked)}`);
}

async function pruneDestination(engine: Engine, out: Output, profile: string, destination: string, dryRun: boolean): Promise<void> {
  const owner = await engine.profiles.get(profile);
  const found = await engine.destinations.get(destination);
  if (found.profileId !== owner.id) throw new UsageError(`destination ${destination} belongs to profile "${found.profileName}", not "${owner.name}"`);
  const result = await engine.offsiteRetention.prune(destination, { dryRun });
  const locked = Object.entries(result.lockedUntil);
  out.result(
    { destination: result.destination, dryRun, blocked: result.blocked, archives: result.decisions.map((d) => ({ name: d.path, createdAt: d.createdAt, action: d.keep ? 'keep' : 'delete', reasons: d.reasons })), deleted: result.deleted, lockedUntil: result.lockedUntil },
    () => `${describePlan(result.decisions, result.blocked)}\n${dryRun ? 'Dry run: nothing was deleted.' : `Deleted ${result.deleted.length} copy(ies) in ${printable(result.destination)}.`}${locked.length ? `\nKept under Object Lock: ${locked.map(([name, until]) => `${printable(name)} until ${until}`).join(', ')}` : ''}`,
  );
}
