// One line of the activity log (activity.jsonl), as listed and exported.
// Plain data, no behaviour: the model layer imports nothing but other model types.
import type { ErrorInfo } from './error.ts';

export type ActivityKind = 'backup' | 'restore' | 'drill' | 'verify' | 'prune' | 'schedule' | 'settings' | 'notification' | 'copy';

export interface ActivityEntry {
  at: string;
  what: ActivityKind;
  /** Short human description, e.g. "Scheduled backup" or "Retention policy changed". */
  title: string;
  profile: string | null;
  archive: string | null;
  result: 'ok' | 'failed' | 'cancelled' | 'info';
  durationMs: number | null;
  error: ErrorInfo | null;
  /** Through an SSH tunnel: the route, e.g. "via bastion → 10.0.0.5:5432". Absent for direct connections. */
  route?: string;
  /** How it was started: the app, the CLI, or the scheduler. */
  via: 'app' | 'cli' | 'schedule';
}
