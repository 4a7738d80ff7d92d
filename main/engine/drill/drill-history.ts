// The drill history in the data folder: one JSON line per drill that gave a verdict (drills.jsonl),
// and each one's stored evidence report (drill-reports/<id>.html). A drill that could not run leaves
// neither (drill-service.ts decides).
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import type { DrillRecord } from '../model/drill.ts';
import { renderDrillReport } from './drill-report.ts';

export const DRILL_HISTORY_FILE = 'drills.jsonl';
export const DRILL_REPORTS_FOLDER = 'drill-reports';

/** Past drills of one archive (its path or file name) and/or one profile (any case). */
export interface DrillHistoryFilter {
  archive?: string;
  profile?: string;
}

/** The recorded drills that match, newest first; a missing or unreadable history is an empty one. */
export async function readDrillHistory(dataDir: string, filter: DrillHistoryFilter = {}): Promise<DrillRecord[]> {
  const text = await readFile(path.join(dataDir, DRILL_HISTORY_FILE), 'utf8').catch(() => '');
  return parseDrillHistory(text)
    .filter((r) => matchesDrillFilter(r, filter))
    .reverse();
}

/** The history file's lines as records, oldest first; a line that is not JSON is skipped. */
export function parseDrillHistory(text: string): DrillRecord[] {
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as DrillRecord];
      } catch {
        return [];
      }
    });
}

export function matchesDrillFilter(record: DrillRecord, filter: DrillHistoryFilter): boolean {
  return (!filter.archive || record.archive.path === filter.archive || record.archive.name === filter.archive) && (!filter.profile || record.source.profile?.toLowerCase() === filter.profile.toLowerCase());
}

/** Adds one drill to the history (a file only its owner can read). */
export async function appendDrillHistory(dataDir: string, record: DrillRecord): Promise<void> {
  await appendFile(path.join(dataDir, DRILL_HISTORY_FILE), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** Where the stored evidence report of a past drill is; only a drill id is accepted (no path). */
export function drillReportPath(dataDir: string, drillId: string): string {
  if (!/^[\w-]+$/.test(drillId)) throw new LifeboatError('INVALID_INPUT', 'That is not a drill id.', 'Pick a drill from the history.');
  return path.join(dataDir, DRILL_REPORTS_FOLDER, `${drillId}.html`);
}

/** Writes the drill's evidence report where drillReportPath finds it (a private folder and file). */
export async function storeDrillReport(dataDir: string, record: DrillRecord): Promise<void> {
  await mkdir(path.dirname(drillReportPath(dataDir, record.id)), { recursive: true, mode: 0o700 });
  await writeFile(drillReportPath(dataDir, record.id), renderDrillReport(record), { mode: 0o600 });
}
