// A running drill with its phases, and a drill's result: the verdict, expected vs actual for every
// check (mismatches first), the measured recovery time, and the evidence report.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { DrillCheck, DrillRecord, ErrorInfo, RemoteSubject } from '../../../main/ipc/contract.ts';
import { CancelledCallout } from '../../components/cancelled-callout.tsx';
import { DismissButton } from '../../components/dismiss-button.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { TRUST_PHRASE } from '../../../main/engine/restore/trust-phrase.ts';
import { formatCount, formatDateTime, formatDuration } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { Facts } from '../../components/job-done.tsx';
import { JobProgressCard } from '../../components/job-progress.tsx';
import { UnlockForm } from '../../components/unlock-form.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useDrillsStore } from '../../stores/drills-store.ts';
import { remoteOf, useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

const STEPS: { label: string; matches: (phase: string) => boolean }[] = [
  { label: 'Reading the archive', matches: (p) => p === 'Reading the archive' },
  { label: 'Starting the scratch server', matches: (p) => p === 'Starting the scratch server' },
  { label: 'Restoring', matches: (p) => /^(Checking|Creating database|Restoring|Decrypting)/.test(p) },
  { label: 'Verifying', matches: (p) => p === 'Verifying' },
  { label: 'Cleaning up', matches: (p) => p === 'Cleaning up' || p === 'Passed' || p === 'Failed' || p === 'Could not run' },
];

/** A drill of an archive in a destination downloads it first. */
const REMOTE_STEPS = [{ label: 'Downloading', matches: (p: string) => p === 'Downloading' }, ...STEPS];

export function drillName(job: JobEntry): string {
  const remote = remoteOf(job);
  if (remote) return `${remote.name} from ${remote.destinationName}`;
  return job.subject?.kind === 'drill' ? job.subject.name : 'a backup';
}

export function DrillProgress({ job }: { job: JobEntry }) {
  const phase = job.progress?.phase || 'Starting';
  const remote = remoteOf(job);
  const steps = remote ? REMOTE_STEPS : STEPS;
  const current = Math.max(0, steps.findIndex((s) => s.matches(phase)));
  const auto = job.subject?.kind === 'drill' && job.subject.auto;

  return (
    <JobProgressCard
      job={job}
      title={`Drilling ${drillName(job)}`}
      phase={phase}
      detail={auto ? 'started after the backup (Settings → Drill after every backup)' : remote ? 'a temporary copy, removed when the drill ends' : null}
      itemLabel="Current object"
      bytesLabel={remote && current === 0 ? 'Downloaded' : 'Read'}
      extra={{ label: 'Phase', value: `${current + 1} of ${steps.length}` }}
      className="drill-progress"
    >
      <ol className="steps" aria-label="Phases">
        {steps.map((step, i) => {
          const state = i < current ? 'done' : i === current ? 'current' : 'todo';
          return (
            <li key={step.label} className={`step step-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
              <span className="step-dot" aria-hidden="true">
                {state === 'done' ? '✓' : i + 1}
              </span>
              <span className="step-label">
                {step.label}
                <span className="sr-only">{state === 'done' ? ' (done)' : state === 'current' ? ' (now)' : ''}</span>
              </span>
            </li>
          );
        })}
      </ol>
    </JobProgressCard>
  );
}

/** A drill job that ended without a record (cancelled, or main failed before the drill could start). */
export function DrillJobFailed({ job }: { job: JobEntry }) {
  const dismiss = useJobsStore((s) => s.dismiss);
  const show = useDrillsStore((s) => s.show);
  const outcome = job.outcome;
  if (!outcome || outcome.ok) return null;
  const close = () => {
    dismiss(job.jobId);
    show(null);
  };
  if (outcome.error.code === 'CANCELLED') {
    return <CancelledCallout label="Drill cancelled" title="Drill cancelled." detail={outcome.error.message} action={<DismissButton onClick={close} />} />;
  }
  // A remote copy that does not match its sidecar is a verdict on that copy, not a drill that could not run.
  const damaged = remoteOf(job) !== null && outcome.error.code === 'VERIFY_FAILED';
  return (
    <section className="job-failed" aria-label={damaged ? 'The drill failed' : 'The drill could not run'}>
      <ErrorMessage error={outcome.error} title={damaged ? `Drill failed: the copy of ${drillName(job)} is damaged` : `The drill of ${drillName(job)} could not run`} />
      <DismissButton onClick={close} />
    </section>
  );
}

/** Drills the same archive again, with keys or the trust words. */
type Retry = (keys: { passphrase?: string; identityFile?: string }, trust?: string) => Promise<unknown>;

/** Whole numbers as the locale writes them (3,000); anything else as it is. */
function countText(value: string): string {
  return /^-?\d+$/.test(value) && value.length <= 15 ? formatCount(Number(value)) : value;
}

const KIND_LABEL: Record<DrillCheck['kind'], string> = { restore: 'Restore', integrity: 'Integrity', table: 'Row count', objects: 'Objects', canary: 'Canary' };

function verdictOf(record: DrillRecord): { title: string; className: string; icon: 'check' | 'alert' | 'info' } {
  if (record.passed) return { title: 'Drill passed: this backup restores', className: 'verdict verdict-pass', icon: 'check' };
  if (record.couldNotRun) return { title: 'The drill could not run', className: 'verdict verdict-norun', icon: 'info' };
  return { title: 'Drill failed: this backup does not restore as it was', className: 'verdict verdict-fail', icon: 'alert' };
}

/** `remote`: the drill was of an archive in a destination, so a retry downloads it again. */
export function DrillResult({ record, fresh, remote = null }: { record: DrillRecord; fresh: boolean; remote?: RemoteSubject | null }) {
  const start = useDrillsStore((s) => s.start);
  const startRemote = useDrillsStore((s) => s.startRemote);
  const openReport = useDrillsStore((s) => s.openReport);
  const exportReport = useDrillsStore((s) => s.exportReport);
  const show = useDrillsStore((s) => s.show);
  const announce = useAppStore((s) => s.announce);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const ref = useRef<HTMLElement>(null);
  const uid = useId();
  const verdict = verdictOf(record);
  const matched = record.checks.filter((c) => c.passed).length;
  const file = record.archive.path;
  const retry: Retry | null = remote ? (keys, trust) => startRemote(remote, keys, trust) : file ? (keys, trust) => start(file, keys, trust) : null;
  const t = record.timings;

  useEffect(() => {
    if (fresh) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [fresh, record.id]);

  const runOpen = async () => {
    setError(null);
    try {
      await openReport(record.id);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };
  const runExport = async () => {
    setError(null);
    try {
      const file = await exportReport(record);
      if (file) {
        setExported(file);
        announce(`Report exported to ${file}.`);
      }
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  return (
    <section ref={ref} className="card drill-result" aria-labelledby={`${uid}-title`}>
      <div className={verdict.className}>
        <Icon name={verdict.icon} className="verdict-icon" />
        <div className="verdict-text">
          <h2 id={`${uid}-title`}>{verdict.title}</h2>
          <p>
            <code>{record.archive.name}</code>
            {record.source.profile ? ` · ${record.source.profile}` : ''}
            {record.source.database ? ` · ${record.source.database}` : ''} · drilled {formatDateTime(record.startedAt)}
          </p>
        </div>
        <button type="button" className="btn btn-icon" aria-label="Close this result" title="Close" onClick={() => show(null)}>
          <Icon name="x" />
        </button>
      </div>

      {record.error ? <ErrorMessage error={record.error} title={record.couldNotRun ? 'Why it could not run' : 'What went wrong'} /> : null}
      {retry && record.couldNotRun && record.error && (record.error.code === 'NO_KEY' || record.error.code === 'WRONG_KEY') ? <RetryWithKey retry={retry} /> : null}
      {retry && record.error?.fix?.includes(TRUST_PHRASE) ? <RetryWithTrust retry={retry} /> : null}

      <Facts
        facts={[
          // The headline is what a real recovery takes: restore and verify; starting the throwaway scratch server is apart.
          { label: 'Recovery time', value: record.couldNotRun ? '—' : formatDuration(t.restoreMs + t.verifyMs), strong: true },
          { label: 'Restore', value: formatDuration(t.restoreMs) },
          { label: 'Verify', value: formatDuration(t.verifyMs) },
          { label: record.scratch.kind === 'embedded' ? 'Scratch server start' : 'Scratch database set-up', value: formatDuration(t.startMs) },
          { label: 'Checks', value: `${matched} of ${record.checks.length} match`, className: matched < record.checks.length ? 'text-err' : undefined },
        ]}
      />

      {!record.couldNotRun && t.totalMs > 0 ? <Timeline record={record} /> : null}

      {record.scratch.database ? (
        <p className="drill-scratch">
          <Icon name="server" />
          <span>
            Scratch database <code>{record.scratch.database}</code> · {record.scratch.server} —{' '}
            {record.scratch.kept ? <strong>kept for inspection: drop it when you are done.</strong> : 'removed afterwards.'}
          </span>
        </p>
      ) : null}

      {record.checks.length ? <ChecksTable checks={record.checks} /> : null}

      {record.tolerated.length ? (
        <ul className="notes-list">
          {record.tolerated.map((note) => (
            <li key={note}>
              <Icon name="info" />
              <span>Tolerated: {note}</span>
            </li>
          ))}
        </ul>
      ) : null}

      {!record.couldNotRun ? (
        <div className="drill-report-actions">
          <button type="button" className="btn" onClick={() => void runOpen()}>
            <Icon name="external" />
            Open report
          </button>
          <button type="button" className="btn" onClick={() => void runExport()}>
            <Icon name="download" />
            Export report…
          </button>
          <p className="hint">A self-contained HTML page: the archive’s SHA-256, the source, every check and the timings — evidence for an audit.</p>
        </div>
      ) : null}
      {exported ? (
        <p className="status-ok" role="status">
          <Icon name="check" />
          <span>
            Report exported to <code>{exported}</code>.
          </span>
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} title="Could not use the report" /> : null}
    </section>
  );
}

/** Where the time went: scratch start, restore, verify, clean-up (and reading/other). */
function Timeline({ record }: { record: DrillRecord }) {
  const t = record.timings;
  const other = Math.max(0, t.totalMs - t.startMs - t.restoreMs - t.verifyMs - t.teardownMs);
  const parts = [
    { key: 'other', label: 'Reading', ms: other },
    { key: 'start', label: 'Scratch start', ms: t.startMs },
    { key: 'restore', label: 'Restore', ms: t.restoreMs },
    { key: 'verify', label: 'Verify', ms: t.verifyMs },
    { key: 'teardown', label: 'Clean-up', ms: t.teardownMs },
  ].filter((p) => p.ms > 0);
  return (
    <div className="timeline">
      <div className="timeline-bar" aria-hidden="true">
        {parts.map((p) => (
          // Widths through the CSSOM, which the CSP (style-src 'self') allows.
          <span key={p.key} className={`timeline-part timeline-${p.key}`} style={{ width: `${(100 * p.ms) / t.totalMs}%` }} />
        ))}
      </div>
      <ul className="timeline-legend" aria-label="Where the recovery time went">
        {parts.map((p) => (
          <li key={p.key}>
            <span className={`legend-dot timeline-${p.key}`} aria-hidden="true" />
            {p.label} {formatDuration(p.ms)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ChecksTable({ checks }: { checks: DrillCheck[] }) {
  const failed = checks.filter((c) => !c.passed).length;
  return (
    <div className="table-wrap table-scroll table-scroll-tall" tabIndex={0} role="region" aria-label="Expected and actual">
      <table className="table checks-table">
        <caption className="sr-only">Each check: what the backup recorded and what the restored copy has{failed ? `; ${failed} mismatches, listed first` : ''}</caption>
        <thead>
          <tr>
            <th scope="col">Result</th>
            <th scope="col">Check</th>
            <th scope="col" className="num">
              Expected (backup)
            </th>
            <th scope="col" className="num">
              Actual (restored)
            </th>
          </tr>
        </thead>
        <tbody>
          {checks.map((c, i) => (
            <tr key={`${c.kind}-${c.name}-${i}`} className={c.passed ? undefined : 'row-mismatch'}>
              <td>
                <span className={c.passed ? 'match match-ok' : 'match match-bad'}>
                  <span aria-hidden="true">{c.passed ? '✓' : '✗'}</span>
                  {c.passed ? 'match' : 'differs'}
                </span>
              </td>
              <th scope="row" className="wrap">
                <span className="check-kind">{KIND_LABEL[c.kind]}</span> {c.kind === 'table' ? <code>{c.name}</code> : c.name}
                {c.note ? <span className="check-note">{c.note}</span> : null}
              </th>
              <td className="num wrap">{c.kind === 'integrity' ? <code className="hash">{c.expected}</code> : countText(c.expected)}</td>
              <td className="num wrap">{c.kind === 'integrity' ? <code className="hash">{c.actual}</code> : countText(c.actual)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A file this Lifeboat did not make needed more than least privilege: drill it again with the
 * connection's rights, once the user types the words (the engine checks them and logs the choice).
 */
function RetryWithTrust({ retry }: { retry: Retry }) {
  const [words, setWords] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const uid = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await retry({}, words.trim());
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };
  return (
    <form className="field restore-confirm" onSubmit={(e) => void submit(e)}>
      <label htmlFor={`${uid}-trust`}>Only if you trust where this file came from: type “{TRUST_PHRASE}” to drill it with the scratch server’s full rights</label>
      <div className="input-row">
        <input id={`${uid}-trust`} value={words} onChange={(e) => setWords(e.target.value)} spellCheck={false} autoComplete="off" aria-invalid={words !== '' && words.trim() !== TRUST_PHRASE} />
        <button type="submit" className="btn" disabled={words.trim() !== TRUST_PHRASE}>
          Drill again
        </button>
      </div>
      {error ? <ErrorMessage error={error} title="The drill could not start" /> : null}
    </form>
  );
}

/** The drill could not open the archive: run it again with a passphrase or an identity file. */
function RetryWithKey({ retry }: { retry: Retry }) {
  return (
    <UnlockForm
      className="unlock-inline"
      title="Run it again with the key that opens the archive"
      submitLabel="Drill again"
      errorTitle="The drill could not start"
      onUnlock={(keys) => retry(keys)}
    />
  );
}
