// The library's whole-server runs: one row per run (when, which connection and server, ok / PARTIAL /
// FAILED, how many databases, how big) that opens to each database's result, what the run says about
// consistency and roles, and "Drill the run": every database it backed up restored into a scratch
// database in turn, then one verdict with each database's (what did not match named by database and
// table, or why the drill could not run), and "Restore the run…": every database onto a server, in a
// dialog (run-restore.tsx). The wording follows the CLI's (`lifeboat runs`, `lifeboat drill RUN`,
// `lifeboat restore RUN --profile P`).
import { useEffect, useId, useState, type ReactNode } from 'react';
import { visibleText } from '../../../main/engine/name-text.ts';
import type { ErrorInfo, RunDatabaseDrill, RunDrillResult, RunOutcome, ServerRunEntry } from '../../../main/ipc/contract.ts';
import { CancelledCallout } from '../../components/cancelled-callout.tsx';
import { DismissButton } from '../../components/dismiss-button.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatBytes, formatDateTime, formatDuration, hostPort } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { isRunning, useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';
import { runRestoreJobOf, useRunRestoreStore } from '../../stores/run-restore-store.ts';
import { finishedRunBackups, runDrillJobOf, useRunsStore } from '../../stores/runs-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { RunRestoreDialog } from './run-restore.tsx';
import { RunJobProgress } from './run-job-progress.tsx';
import { RunDatabasesTable, RunFacts } from './run-summary.tsx';

const OUTCOME_BADGE: Record<RunOutcome, { text: string; className: string }> = {
  ok: { text: 'ok', className: 'badge badge-ok' },
  partial: { text: 'PARTIAL', className: 'badge badge-warn' },
  failed: { text: 'FAILED', className: 'badge badge-err' },
};

/** The runs in the library folders, newest first; `profile` ('' = all) follows the library's connection filter. Nothing shows without runs. */
export function ServerRuns({ profile }: { profile: string }) {
  const runs = useRunsStore((s) => s.runs);
  const error = useRunsStore((s) => s.error);
  const load = useRunsStore((s) => s.load);
  const runBackups = useJobsStore((s) => finishedRunBackups(s.jobs));
  const uid = useId();

  // Read when the library shows, and again whenever a whole-server run finishes in this window.
  useEffect(() => {
    void load();
  }, [load, runBackups]);

  const shown = profile ? runs.filter((r) => r.record.profile === profile) : runs;
  if (error && runs.length === 0) return <ErrorMessage error={error} title="Could not list the whole-server runs" />;
  if (shown.length === 0) return null;
  return (
    <section className="server-runs" aria-labelledby={`${uid}-title`}>
      <h3 id={`${uid}-title`}>Whole-server runs</h3>
      <p className="hint">Each run backed up several databases of one server, each into its own archive in the list below.</p>
      <ul className="run-list" aria-label="Whole-server runs">
        {shown.map((entry) => (
          <RunRow key={entry.file} entry={entry} />
        ))}
      </ul>
      <RunRestoreDialog />
    </section>
  );
}

/** One run: a button that opens and closes its details (aria-expanded), its facts in the button's name. */
function RunRow({ entry }: { entry: ServerRunEntry }) {
  const [open, setOpen] = useState(false);
  const uid = useId();
  const { record } = entry;
  const made = record.databases.filter((d) => d.outcome === 'ok');
  const badge = OUTCOME_BADGE[record.outcome];
  return (
    <li className="run-row">
      <button type="button" className="run-toggle" aria-expanded={open} aria-controls={`${uid}-panel`} onClick={() => setOpen((was) => !was)}>
        <span className="run-chevron" aria-hidden="true">
          ▸
        </span>
        <span className="run-when">{formatDateTime(record.startedAt)}</span>
        {/* Names and versions come from the record (a file in the folder): escapes for bidi and control characters. */}
        <span className="run-profile">{visibleText(record.profile)}</span>
        <span className="run-server">
          <code>{visibleText(hostPort(record.host, record.port))}</code> (PostgreSQL {visibleText(record.serverVersion)})
        </span>
        <span className={badge.className}>{badge.text}</span>
        <span className={made.length < record.databases.length ? 'run-count text-err' : 'run-count'}>
          {made.length} of {record.databases.length} databases
        </span>
        <span className="run-size">{formatBytes(made.reduce((sum, d) => sum + (d.bytes ?? 0), 0))}</span>
      </button>
      <div id={`${uid}-panel`} className="run-panel" hidden={!open}>
        {open ? <RunDetails entry={entry} /> : null}
      </div>
    </li>
  );
}

/** Each database's result, what the run says, and the drill of the whole run with its progress and verdict. */
function RunDetails({ entry }: { entry: ServerRunEntry }) {
  const drill = useRunsStore((s) => s.drill);
  const openRestore = useRunRestoreStore((s) => s.open);
  const job = useJobsStore((s) => runDrillJobOf(s.jobs, entry.file));
  const restoreJob = useJobsStore((s) => runRestoreJobOf(s.jobs, entry.file));
  const restoring = restoreJob !== undefined && isRunning(restoreJob);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const drillable = entry.record.databases.some((d) => d.outcome === 'ok' && d.archive);
  const drilling = job !== undefined && isRunning(job);

  const start = async () => {
    setError(null);
    try {
      await drill(entry);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  return (
    <>
      <RunDatabasesTable databases={entry.record.databases} />
      <RunFacts record={entry.record} file={entry.file} notes={[]} />
      <div className="run-drill-actions">
        <button type="button" className="btn" onClick={() => void start()} disabled={!drillable || drilling} aria-busy={drilling}>
          <Icon name="flask" />
          {drilling ? 'Drilling the run…' : 'Drill the run'}
        </button>
        {/* Opens the dialog: while a restore of this run runs (or its result waits), the dialog shows it. */}
        <button type="button" className="btn" onClick={() => openRestore(entry)} disabled={!drillable} aria-haspopup="dialog">
          <Icon name="restore" />
          {restoring ? 'Restore the run… (running)' : restoreJob ? 'Restore the run… (result)' : 'Restore the run…'}
        </button>
        <p className="hint">
          {drillable
            ? 'The drill restores each database’s archive into a scratch database, one after another, and compares every table with the backup. Restoring the run puts its databases on a server of your choice, as new databases.'
            : 'No database of this run was backed up: there is nothing to drill or restore.'}
        </p>
      </div>
      {error ? <ErrorMessage error={error} title="The drill of the run could not start" /> : null}
      {job ? <RunDrillJob job={job} /> : null}
    </>
  );
}

/** The drill of the run: its progress while it runs, then its verdict (or why it stopped) until dismissed. */
function RunDrillJob({ job }: { job: JobEntry }) {
  const dismiss = useJobsStore((s) => s.dismiss);
  const outcome = job.outcome;
  if (!outcome) return <RunJobProgress job={job} what="Drilling the run" />;
  const close = <DismissButton onClick={() => dismiss(job.jobId)} />;
  if (outcome.ok && outcome.kind === 'drill' && outcome.runDrill) return <RunDrillVerdict result={outcome.runDrill} action={close} />;
  if (outcome.ok) return null;
  if (outcome.error.code === 'CANCELLED') return <CancelledCallout label="Drill of the run cancelled" title="The drill of the run was cancelled." detail={outcome.error.message} action={close} />;
  return (
    <section className="row-error" aria-label="The drill of the run could not run">
      <ErrorMessage error={outcome.error} title="The drill of the run could not run" />
      {close}
    </section>
  );
}


/** The run's verdict: passed only when every database it backed up restored and matched. */
function verdictOf(result: RunDrillResult): { title: string; className: string; icon: 'check' | 'alert' | 'info' } {
  const all = result.databases.length;
  const failed = result.databases.filter((d) => verdictOfDatabase(d) === 'failed').length;
  const unrun = result.databases.filter((d) => verdictOfDatabase(d) === 'norun').length;
  if (result.passed) return { title: `Drill of the run passed: all ${all} database${all === 1 ? '' : 's'} restore`, className: 'callout callout-ok', icon: 'check' };
  if (failed) return { title: `Drill of the run FAILED: ${failed} of ${all} databases do not restore as they were`, className: 'callout callout-error', icon: 'alert' };
  if (all === 0) return { title: 'The drill of the run could not run: no database of the run was backed up', className: 'callout callout-warn', icon: 'info' };
  return { title: `The drill of the run could not run for ${unrun} of ${all} databases`, className: 'callout callout-warn', icon: 'info' };
}

function RunDrillVerdict({ result, action }: { result: RunDrillResult; action: ReactNode }) {
  const uid = useId();
  const verdict = verdictOf(result);
  return (
    <section className={`${verdict.className} run-drill-verdict`} aria-labelledby={`${uid}-title`}>
      <Icon name={verdict.icon} className="callout-icon" />
      <div className="callout-body">
        <p className="callout-title" id={`${uid}-title`}>
          {verdict.title}
        </p>
        <p className="muted">
          {result.databases.length} database{result.databases.length === 1 ? '' : 's'} drilled in {formatDuration(result.durationMs)}, each in its own scratch database, removed afterwards.
        </p>
        {result.databases.length ? <RunDrillTable databases={result.databases} /> : null}
        {result.run.outcome !== 'ok' ? <p>The run itself was {result.run.outcome === 'partial' ? 'PARTIAL' : 'FAILED'}: the databases it could not back up were not drilled.</p> : null}
      </div>
      {action}
    </section>
  );
}

type DatabaseVerdict = 'passed' | 'failed' | 'norun';

function verdictOfDatabase(drilled: RunDatabaseDrill): DatabaseVerdict {
  if (!drilled.record || drilled.record.couldNotRun) return 'norun';
  return drilled.record.passed ? 'passed' : 'failed';
}

const VERDICT_BADGE: Record<DatabaseVerdict, { text: string; className: string }> = {
  passed: { text: 'Passed', className: 'badge badge-ok' },
  failed: { text: 'FAILED', className: 'badge badge-err' },
  norun: { text: 'Could not run', className: 'badge badge-warn' },
};

function RunDrillTable({ databases }: { databases: RunDatabaseDrill[] }) {
  return (
    <div className="table-wrap">
      <table className="table run-drill-table">
        <caption className="sr-only">Each database of the run: its drill's verdict, the checks that matched, the recovery time, and what did not match or why it could not run</caption>
        <thead>
          <tr>
            <th scope="col">Database</th>
            <th scope="col">Verdict</th>
            <th scope="col" className="num">
              Checks
            </th>
            <th scope="col" className="num">
              Recovery time
            </th>
            <th scope="col">What did not match, or why</th>
          </tr>
        </thead>
        <tbody>
          {databases.map((drilled) => (
            <RunDrillRow key={drilled.database} drilled={drilled} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RunDrillRow({ drilled }: { drilled: RunDatabaseDrill }) {
  const { record } = drilled;
  const verdict = verdictOfDatabase(drilled);
  const failed = record ? record.checks.filter((c) => !c.passed) : [];
  const error = drilled.error ?? record?.error ?? null;
  // Names and values come from the archive and the servers: shown with escapes, like the CLI's.
  const name = visibleText(drilled.database);
  return (
    <tr className={verdict === 'failed' ? 'row-mismatch' : undefined}>
      <th scope="row">
        <code>{name}</code>
      </th>
      <td>
        <span className={VERDICT_BADGE[verdict].className}>{VERDICT_BADGE[verdict].text}</span>
      </td>
      <td className="num">{record ? `${record.checks.length - failed.length} of ${record.checks.length} match` : '—'}</td>
      <td className="num">{record && !record.couldNotRun ? formatDuration(record.timings.totalMs) : '—'}</td>
      <td className="run-reason">
        {failed.length ? (
          <ul className="run-drill-mismatches">
            {failed.map((c, i) => (
              <li key={`${c.kind}-${c.name}-${i}`}>
                ✗ {name} / <code>{visibleText(c.name)}</code>: expected {visibleText(c.expected)}, got {visibleText(c.actual)}
              </li>
            ))}
          </ul>
        ) : null}
        {error ? <RunDrillReason error={error} /> : null}
        {!failed.length && !error ? <span className="muted">Every check matches.</span> : null}
      </td>
    </tr>
  );
}

function RunDrillReason({ error }: { error: ErrorInfo }) {
  return (
    <p>
      <span className="error-message">{visibleText(error.message)}</span>
      {error.fix ? (
        <span className="error-fix">
          {' '}
          <span className="error-fix-label">How to fix: </span>
          {visibleText(error.fix)}
        </span>
      ) : null}
    </p>
  );
}
