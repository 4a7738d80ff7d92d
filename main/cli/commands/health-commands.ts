// `lifeboat status`: the health overview the app's first screen shows, one row per connection.
import { needsAttention } from '../../engine/health/health-service.ts';
import type { HealthOverview, ProfileHealth } from '../../engine/model/health.ts';
import type { Command } from '../cli-command.ts';
import { printable, table } from '../cli-output.ts';

export const HEALTH_COMMANDS: Record<string, Command> = {
  status: {
    usage: 'status [--json]',
    summary: 'is everything safe right now: per connection the newest good backup and its age, next runs, last verify and drill, offsite copies',
    options: [],
    async run({ engine, out }) {
      const overview = await engine.health.overview();
      out.result(overview, () => statusText(overview));
    },
  },
};

export function statusText(overview: HealthOverview): string {
  if (overview.profiles.length === 0) return 'No connections yet: lifeboat profile add --url postgres://user@host/db (or lifeboat demo)';
  const now = Date.parse(overview.at);
  const rows = overview.profiles.map((p) => [
    (needsAttention(p) ? '! ' : p.freshness === 'unknown' ? '? ' : '  ') + printable(p.profileName),
    backupCell(p, now),
    p.nextBackup ? `in ${age(Date.parse(p.nextBackup) - now)}` : 'not scheduled',
    p.lastVerify ? `${p.lastVerify.ok ? 'ok' : 'FAILED'} ${age(now - Date.parse(p.lastVerify.at))} ago` : 'never',
    drillCell(p, now),
    offsiteCell(p, now),
  ]);
  return table([['CONNECTION', 'NEWEST GOOD BACKUP', 'NEXT BACKUP', 'LAST VERIFY', 'LAST DRILL', 'OFFSITE'], ...rows]) + `\n${summaryLine(overview)}`;
}

/** Never "within its limit" for a connection that has no limit. */
function summaryLine(overview: HealthOverview): string {
  const lines: string[] = [];
  if (overview.attention) lines.push(`${overview.attention} connection${overview.attention === 1 ? ' needs' : 's need'} attention (!).`);
  if (overview.noLimit) lines.push(`${overview.noLimit} connection${overview.noLimit === 1 ? ' has' : 's have'} no limit to judge its backups by (?): set a schedule or --stale-hours.`);
  for (const problem of overview.unreadableFolders) lines.push(`! ${printable(problem.message)} Fix: ${printable(problem.fix)}`);
  if (lines.length === 0) lines.push('Everything is backed up within its limit.');
  return lines.join('\n');
}

function backupCell(p: ProfileHealth, now: number): string {
  const failed = p.lastFailure ? `; last attempt FAILED ${age(now - Date.parse(p.lastFailure.at))} ago` : '';
  if (!p.lastBackup) return `none${failed}`;
  const late = p.freshness === 'amber' ? ' (LATE)' : p.freshness === 'red' ? ' (STALE)' : '';
  const limit = !p.limit ? '' : p.limit.from === 'schedule' ? `, limit: a backup since ${p.limit.since.replace('T', ' ').slice(0, 16)} UTC (the scheduled run before the last)` : `, limit ${p.limit.hours} h (stale alert)`;
  return `${age(now - Date.parse(p.lastBackup.finishedAt))} ago${late}${limit}${failed}`;
}

function drillCell(p: ProfileHealth, now: number): string {
  const d = p.lastDrill;
  if (!d) return 'never';
  const verdict = d.couldNotRun ? 'could not run' : d.passed ? `passed, recovery ${seconds(d.recoveryMs)}${d.overTarget ? ' (OVER TARGET)' : ''}` : 'FAILED';
  return `${verdict} ${age(now - Date.parse(d.at))} ago`;
}

function offsiteCell(p: ProfileHealth, now: number): string {
  if (p.offsite.length === 0) return 'none';
  return p.offsite
    .map((o) => `${printable(o.destination)}: ${o.verifiedAt ? `verified ${age(now - Date.parse(o.verifiedAt))} ago` : 'never verified'}${o.failed ? `, ${o.failed} failed` : ''}${o.pending ? `, ${o.pending} unfinished` : ''}`)
    .join('; ');
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

/** A coarse, readable span: "40 s", "12 min", "5 h", "3 d". */
function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
