// The safety checklist (restore:preflight) for exactly the current choices, re-run as they change;
// Restore is enabled only when it has no blocker.
import { useId } from 'react';
import { visibleText } from '../../../main/engine/name-text.ts';
import type { CheckItem, Preflight } from '../../../main/ipc/contract.ts';
import { TRUST_PHRASE } from '../../../main/engine/restore/trust-phrase.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatDateTime } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { requestKey, restoreRequest, useRestoreStore } from '../../stores/restore-store.ts';

// An unknown (a question the checklist could not answer) has its own mark and word: never ✓.
export const CHECK_MARK: Record<CheckItem['status'], string> = { ok: '✓', info: 'i', unknown: '?', warning: '!', blocker: '✗' };
export const STATUS_WORD: Record<CheckItem['status'], string> = { ok: 'OK', info: 'Note', unknown: 'Unknown', warning: 'Warning', blocker: 'Blocker' };

/** What an item's fix is called: for an unknown there is nothing broken, only something to check. */
export function fixLabel(status: CheckItem['status']): string {
  return status === 'unknown' ? 'What to do: ' : 'How to fix: ';
}

export function RestoreChecklist() {
  const state = useRestoreStore();
  const { preflight, preflightError, checking, form, startError, recheck, start } = state;
  const uid = useId();
  const request = restoreRequest(state);
  const current = preflight !== null && state.preflightKey === requestKey(request);
  const blockers = preflight?.items.filter((i) => i.status === 'blocker').length ?? 0;
  const canStart = current && !checking && preflight.ok;
  // One field for the typed trust: under the item that asks for it (statements beyond the database, or owners kept).
  const trustFieldAt = preflight?.items.findIndex((i) => (i.id === 'trust' && i.status !== 'info') || (i.id === 'privileges' && (i.fix !== undefined || i.status === 'warning'))) ?? -1;
  const name = form.names[form.mode].trim();

  let summary: string;
  if (!request) summary = name !== '' ? 'Choose a connection to see the checklist.' : form.mode === 'new' ? 'Name the database to see the checklist.' : 'Choose the database to see the checklist.';
  else if (checking || !current) summary = 'Checking…';
  else if (preflight.ok) summary = 'Ready to restore';
  else summary = `${blockers} blocker${blockers === 1 ? '' : 's'} to resolve`;

  const action = form.mode === 'new' ? `Restore into “${name}”` : form.mode === 'replace' ? `Replace “${name}”` : 'Bring back the rows';
  const why = canStart
    ? form.mode === 'replace'
      ? `“${name}” is swapped only after the restored copy is verified.`
      : 'Nothing existing is changed if anything goes wrong.'
    : checking || !current
      ? 'Waiting for the checklist.'
      : 'Resolve the ✗ items above first.';

  return (
    <section className="card checklist" aria-labelledby={`${uid}-title`} aria-busy={checking}>
      <div className="card-header">
        <h2 id={`${uid}-title`}>Checklist</h2>
        <div className="card-actions">
          <p className={`checklist-state${!checking && current ? (preflight.ok ? ' checklist-ready' : ' checklist-blocked') : ''}`} aria-live="polite">
            {checking ? <span className="spinner" aria-hidden="true" /> : null}
            {summary}
          </p>
          <button type="button" className="btn btn-icon" aria-label="Check again" title="Check again" onClick={recheck} disabled={!request}>
            <Icon name="refresh" />
          </button>
        </div>
      </div>

      {preflight ? <TargetLine preflight={preflight} /> : null}
      {preflightError && !checking ? <ErrorMessage error={preflightError} title="The checklist could not run" /> : null}

      {preflight ? (
        <ul className={checking || !current ? 'check-list check-list-stale' : 'check-list'} aria-label="Checks">
          {preflight.items.map((item, index) => (
            <li key={`${item.id}-${index}`} className={`check check-${item.status}`}>
              <span className="check-mark" aria-hidden="true">
                {CHECK_MARK[item.status]}
              </span>
              <div className="check-body">
                <p className="check-title">
                  <span className="sr-only">{STATUS_WORD[item.status]}: </span>
                  {visibleText(item.title)}
                </p>
                {/* Details name the file's databases, roles and tables: bidi and control characters show as escapes. */}
                <p className="check-detail">{visibleText(item.detail)}</p>
                {item.fix ? (
                  <p className="check-fix">
                    <span className="error-fix-label">{fixLabel(item.status)}</span>
                    {visibleText(item.fix)}
                  </p>
                ) : null}
                {index === trustFieldAt ? <TrustField /> : null}
              </div>
            </li>
          ))}
        </ul>
      ) : !preflightError && request ? (
        <p className="test-running">
          <span className="spinner" aria-hidden="true" />
          Checking the file against the target…
        </p>
      ) : null}

      {preflight && preflight.target.sessions.length > 0 ? <Sessions preflight={preflight} /> : null}

      <div className="restore-actions">
        <p className="hint" id={`${uid}-why`}>
          {why}
        </p>
        <button type="button" className={form.mode === 'replace' ? 'btn btn-danger btn-lg' : 'btn btn-primary btn-lg'} disabled={!canStart} onClick={() => void start()} aria-describedby={`${uid}-why`}>
          <Icon name="restore" />
          {action}
        </button>
      </div>
      {startError ? <ErrorMessage error={startError} title="The restore could not start" /> : null}
    </section>
  );
}

function TargetLine({ preflight }: { preflight: Preflight }) {
  const { target } = preflight;
  return (
    <p className="checklist-target">
      <Icon name="server" />
      <span>
        <strong>{visibleText(target.profile)}</strong> · PostgreSQL {visibleText(target.serverVersion)} · <code>{visibleText(`${target.host}:${target.port}`)}</code> · database “{visibleText(target.database)}”{' '}
        <span className="muted">({target.exists ? 'exists' : 'does not exist yet'})</span>
      </span>
    </p>
  );
}

function Sessions({ preflight }: { preflight: Preflight }) {
  const uid = useId();
  return (
    <div className="sessions">
      <h3 id={`${uid}-title`} className="tools-heading">
        Connected to “{visibleText(preflight.target.database)}” now
      </h3>
      <div className="table-wrap">
        <table className="table" aria-labelledby={`${uid}-title`}>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Client</th>
              <th scope="col">Application</th>
              <th scope="col">State</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {preflight.target.sessions.map((s) => (
              <tr key={s.pid}>
                <th scope="row">{s.user}</th>
                <td>
                  <code>{s.client}</code>
                </td>
                <td>{s.application}</td>
                <td>{s.state}</td>
                <td>{s.since ? formatDateTime(s.since) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** Typed, word for word, like the replace confirmation: the engine checks the words and logs the choice. */
function TrustField() {
  const uid = useId();
  const trust = useRestoreStore((s) => s.form.trust);
  const update = useRestoreStore((s) => s.update);
  return (
    <div className="field restore-confirm">
      <label htmlFor={`${uid}-trust`}>Type “{TRUST_PHRASE}” to run this file with the connection’s rights</label>
      <input id={`${uid}-trust`} value={trust} onChange={(e) => update({ trust: e.target.value })} spellCheck={false} autoComplete="off" aria-invalid={trust !== '' && trust.trim() !== TRUST_PHRASE} />
    </div>
  );
}
