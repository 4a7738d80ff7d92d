// Schedule presets and cron expressions (croner), in the user's time zone, DST-safe.
import { Cron } from 'croner';
import { LifeboatError } from '../errors.ts';
import type { ScheduleSpec } from '../model/schedule.ts';
export type { SchedulePreset, ScheduleSpec } from '../model/schedule.ts';

export const DEFAULT_BACKUP_SCHEDULE: ScheduleSpec = { preset: 'daily', time: '01:00', enabled: true };

export function cronExpression(spec: ScheduleSpec): string {
  const [hour, minute] = parseTime(spec.time ?? '01:00');
  switch (spec.preset) {
    case 'hourly':
      return `${minute} * * * *`;
    case 'daily':
      return `${minute} ${hour} * * *`;
    case 'weekly':
      return `${minute} ${hour} * * ${spec.weekday ?? 0}`;
    case 'monthly':
      return `${minute} ${hour} ${spec.dayOfMonth ?? 1} * *`;
    case 'cron':
      if (!spec.cron?.trim()) throw new LifeboatError('INVALID_INPUT', 'A cron schedule needs an expression.', 'Write five fields: minute hour day month weekday, e.g. "30 2 * * 1-5".');
      return spec.cron.trim();
  }
}

function parseTime(time: string): [number, number] {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time.trim());
  if (!match) throw new LifeboatError('INVALID_INPUT', `"${time}" is not a time of day.`, 'Use HH:MM on a 24-hour clock, e.g. 01:00 or 23:30.');
  return [Number(match[1]), Number(match[2])];
}

export function cronFor(spec: ScheduleSpec, timeZone: string): Cron {
  const expression = cronExpression(spec);
  try {
    return new Cron(expression, { timezone: timeZone, paused: true });
  } catch (error) {
    throw new LifeboatError('INVALID_INPUT', `"${expression}" is not a valid cron expression: ${(error as Error).message}.`, 'Write five fields: minute hour day month weekday, e.g. "30 2 * * 1-5".');
  }
}

export function nextRuns(spec: ScheduleSpec, timeZone: string, from: Date, count = 3): Date[] {
  if (!spec.enabled) return [];
  return cronFor(spec, timeZone).nextRuns(count, from);
}

/** The `count` scheduled times before `before`, newest first (fewer for a pattern that rarely or never matches). */
export function previousRuns(spec: ScheduleSpec, timeZone: string, before: Date, count: number): Date[] {
  if (!spec.enabled) return [];
  return cronFor(spec, timeZone).previousRuns(count, before);
}

/** The latest scheduled time after `since` and not after `now` — one catch-up run however many were missed. */
export function dueSlot(spec: ScheduleSpec, timeZone: string, since: Date, now: Date): Date | null {
  if (!spec.enabled) return null;
  const cron = cronFor(spec, timeZone);
  let slot: Date | null = null;
  for (let next = cron.nextRun(since); next && next <= now; next = cron.nextRun(next)) slot = next;
  return slot;
}
