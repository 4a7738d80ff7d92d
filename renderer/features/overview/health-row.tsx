// One connection's row of the overview: its cells, then what to do next — "Back it up" while it has
// no backup, "Drill it" while its newest backup was never drilled — or the job running on it.
import type { ProfileHealth } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { percentOf } from '../../components/progress-bar.tsx';
import { useAttempt } from '../../components/use-attempt.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useDrillsStore } from '../../stores/drills-store.ts';
import { isRunning, useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';
import { BackupCell, DrillCell, NextCell, OffsiteCell, VerifyCell } from './health-cells.tsx';

/** The backup or drill of this connection running now, if any. */
export function jobOnRow(jobs: Record<string, JobEntry>, row: ProfileHealth): JobEntry | null {
  for (const job of Object.values(jobs)) {
    if (!isRunning(job) || !job.subject) continue;
    const s = job.subject;
    if (s.kind === 'backup' && s.profileId === row.profileId) return job;
    if (s.kind === 'drill' && s.file !== null && (s.file === row.lastBackup?.archive || s.file === row.lastRun?.file)) return job;
  }
  return null;
}

/** target: the recovery-time objective in seconds (null: none). */
export function HealthRow({ row, now, target }: { row: ProfileHealth; now: number; target: number | null }) {
  const jobs = useJobsStore((s) => s.jobs);
  const startBackup = useJobsStore((s) => s.startBackup);
  const startRunDrill = useJobsStore((s) => s.startRunDrill);
  const startDrill = useDrillsStore((s) => s.start);
  const openReport = useDrillsStore((s) => s.openReport);
  const announce = useAppStore((s) => s.announce);
  // busy until main answers with the job: a second click must not start a second backup of the same connection.
  const { attempt: run, error, busy: starting } = useAttempt();
  const running = jobOnRow(jobs, row);
  const nameId = `health-${row.profileId}`;

  const attempt = (action: () => Promise<unknown>, said?: string) => async () => {
    if (starting) return;
    if ((await run(action)) && said) announce(said);
  };
  const backUp = attempt(() => startBackup({ id: row.profileId, name: row.profileName }), `Backing up ${row.profileName}.`);
  const drill = attempt(
    () => (row.wholeServer && row.lastRun ? startRunDrill(row.lastRun.file, row.profileName) : startDrill(row.lastBackup!.archive)),
    row.wholeServer ? `Drilling the newest run of ${row.profileName}.` : undefined,
  );
  const report = (drillId: string) => void attempt(() => openReport(drillId))();
  // The next step is the primary button: a first backup, then a first drill of the newest backup.
  const drillFirst = row.lastBackup !== null && (row.lastDrill === null || row.lastDrill.archive !== row.lastBackup.archive);

  return (
    <tr aria-labelledby={nameId}>
      <th scope="row" id={nameId}>
        <span className={`color-dot color-${row.color}`} aria-hidden="true" /> {row.profileName}
        {row.wholeServer ? <span className="badge">Whole server</span> : null}
      </th>
      <td><BackupCell row={row} now={now} /></td>
      <td><NextCell row={row} now={now} /></td>
      <td><VerifyCell row={row} now={now} /></td>
      <td><DrillCell row={row} now={now} target={target} onReport={report} /></td>
      <td><OffsiteCell row={row} now={now} /></td>
      <td className="health-actions">
        {running ? (
          <RunningJob job={running} />
        ) : (
          <>
            <button type="button" className={`btn btn-sm${row.lastBackup ? '' : ' btn-primary'}`} onClick={backUp} disabled={starting} aria-busy={starting}>
              <Icon name="archive" />
              {row.lastBackup ? 'Back up now' : 'Back it up'}
            </button>
            <button type="button" className={`btn btn-sm${drillFirst ? ' btn-primary' : ''}`} onClick={drill} disabled={!row.lastBackup || starting} title={row.lastBackup ? undefined : 'Back it up first'}>
              <Icon name="flask" />
              {drillFirst ? 'Drill it' : 'Drill'}
            </button>
          </>
        )}
        {error ? <ErrorMessage error={error} /> : null}
      </td>
    </tr>
  );
}

function RunningJob({ job }: { job: JobEntry }) {
  const percent = percentOf(job.progress?.fraction ?? null);
  const what = job.kind === 'drill' ? 'Drilling' : 'Backing up';
  return (
    <span className="health-running">
      <span className="spinner spinner-sm" aria-hidden="true" />
      {what}
      {percent ? ` ${percent}` : '…'}
    </span>
  );
}
