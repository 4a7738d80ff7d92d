// The result of a whole-server run (a profile with a database scope): the verdict first — all backed
// up, PARTIAL or FAILED, since a partial run still ends as a finished job — then each database with
// its result and, for a failed one, the reason and the fix; what the run left out or no longer found;
// and whether the roles were saved. The wording follows the CLI's (main/cli/commands/server-run-commands.ts).
import { useId, useState, type ReactNode } from 'react';
import { visibleText } from '../../../main/engine/name-text.ts';
import type { ErrorInfo, RunDatabase, ServerRunRecord, ServerRunResult } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatBytes, formatCount, formatDuration, hostPort } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { Facts } from '../../components/job-done.tsx';
import { useLibraryStore } from '../../stores/library-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

function verdictOf(record: ServerRunRecord, name: string): { title: string; className: string; icon: 'check' | 'alert' } {
  const ok = record.databases.filter((d) => d.outcome === 'ok').length;
  const all = record.databases.length;
  if (record.outcome === 'ok') return { title: `Backup of ${name}: all ${all} database${all === 1 ? '' : 's'} backed up`, className: 'verdict verdict-pass', icon: 'check' };
  if (record.outcome === 'partial') return { title: `PARTIAL: ${ok} of ${all} databases of ${name} backed up, the others failed`, className: 'verdict verdict-norun', icon: 'alert' };
  return { title: `FAILED: no database of ${name} was backed up`, className: 'verdict verdict-fail', icon: 'alert' };
}

const RESULT_LABEL: Record<RunDatabase['outcome'], { text: string; className: string }> = {
  ok: { text: 'Backed up', className: 'badge badge-ok' },
  failed: { text: 'Failed', className: 'badge badge-err' },
  missing: { text: 'Not on the server', className: 'badge badge-err' },
};

/** `name`: the connection's name; `action`: Dismiss. */
export function RunSummary({ name, run, action }: { name: string; run: ServerRunResult; action: ReactNode }) {
  const uid = useId();
  const { record } = run;
  const verdict = verdictOf(record, name);
  const made = record.databases.filter((d) => d.outcome === 'ok');
  const facts = [
    { label: 'Databases', value: `${made.length} of ${record.databases.length}`, className: made.length < record.databases.length ? 'text-err' : undefined },
    { label: 'Size', value: formatBytes(made.reduce((sum, d) => sum + (d.bytes ?? 0), 0)) },
    { label: 'Tables', value: formatCount(made.reduce((sum, d) => sum + (d.tables ?? 0), 0)) },
    { label: 'Duration', value: formatDuration(record.durationMs) },
  ];
  return (
    <section className="card run-summary" aria-labelledby={`${uid}-title`}>
      <div className={verdict.className}>
        <Icon name={verdict.icon} className="verdict-icon" />
        <div className="verdict-text">
          <h2 id={`${uid}-title`}>{verdict.title}</h2>
          <p>
            <code>{visibleText(hostPort(record.host, record.port))}</code> · PostgreSQL {visibleText(record.serverVersion)}
          </p>
        </div>
        {action}
      </div>
      <Facts facts={facts} />
      <RunDatabasesTable databases={record.databases} />
      <RunFacts record={record} file={run.file} notes={run.notes} />
    </section>
  );
}

/** Each database of the run: its result, its size, and the archive or why it failed (also in the library's list of runs). */
export function RunDatabasesTable({ databases }: { databases: RunDatabase[] }) {
  return (
    <div className="table-wrap">
      <table className="table run-databases">
        <caption className="sr-only">Databases of the run with their result</caption>
        <thead>
          <tr>
            <th scope="col">Database</th>
            <th scope="col">Result</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">Archive or reason</th>
          </tr>
        </thead>
        <tbody>
          {databases.map((d) => (
            <tr key={d.name}>
              <th scope="row">
                <code>{visibleText(d.name)}</code>
              </th>
              <td>
                <span className={RESULT_LABEL[d.outcome].className}>{RESULT_LABEL[d.outcome].text}</span>
              </td>
              <td className="num">{d.bytes !== undefined ? formatBytes(d.bytes) : '—'}</td>
              <td className="run-reason">{d.outcome === 'ok' ? <code>{visibleText(d.archive ?? '')}</code> : <Reason error={d.error} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Reason({ error }: { error: ErrorInfo | undefined }) {
  if (!error) return <span className="muted">No reason was recorded.</span>;
  return (
    <>
      <span className="error-message">{error.message}</span>
      {error.fix ? (
        <span className="error-fix">
          {' '}
          <span className="error-fix-label">How to fix: </span>
          {error.fix}
        </span>
      ) : null}
    </>
  );
}

/**
 * What the whole run says besides the table: consistency, roles, what was left out or is gone, the
 * record (`file`). `notes`: what the finished job said (none when the run is read back from the library).
 */
export function RunFacts({ record, file, notes }: { record: ServerRunRecord; file: string; notes: string[] }) {
  const reveal = useLibraryStore((s) => s.reveal);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const names = (list: string[]) => list.map(visibleText).join(', ');
  return (
    <>
      {record.globals.kind === 'skipped' ? (
        <div className="callout callout-warn" role="note">
          <Icon name="alert" className="callout-icon" />
          <div className="callout-body">
            <p className="callout-title">Roles and tablespaces were not saved</p>
            <p>{record.globals.note ?? 'The roles could not be read.'} A restore onto a new server needs its roles created first.</p>
          </div>
        </div>
      ) : null}
      <ul className="notes-list run-notes">
        <li>
          <Icon name="info" />
          <span>{record.consistency}</span>
        </li>
        {record.excluded.length ? (
          <li>
            <Icon name="info" />
            <span>Left out: {names(record.excluded)}</span>
          </li>
        ) : null}
        {record.dropped.length ? (
          <li>
            <Icon name="info" />
            <span>No longer on the server since the last run: {names(record.dropped)}</span>
          </li>
        ) : null}
        {notes.map((note) => (
          <li key={note}>
            <Icon name="info" />
            <span>{note}</span>
          </li>
        ))}
      </ul>
      <dl className="kv">
        <div>
          <dt>Run record</dt>
          <dd className="path-line">
            <code>{visibleText(file)}</code>
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => {
                setError(null);
                reveal(file).catch((e: unknown) => setError(toErrorInfo(e)));
              }}
            >
              <Icon name="folder" />
              Reveal in folder
            </button>
          </dd>
        </div>
      </dl>
      {error ? <ErrorMessage error={error} /> : null}
    </>
  );
}
