// "Restore the run…": a whole-server run onto a server (the migration case), as a dialog over the
// Backups screen. Choose the connection, which databases and under what names, how roles are handled;
// "Check" shows ONE checklist (the whole run's items first, then each database's under its name, the
// Restore screen's items and wording); Restore is enabled only while that checklist is the one of the
// current choices and has no blocker. Then the progress ("shop → shop: Restoring (1 of 3)", Cancel)
// and the result per database: restored with its verification, or FAILED with the reason and the fix.
// The wording follows the CLI's (`lifeboat preflight|restore RUN.lifeboat-run.json --profile P`).
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { visibleText } from '../../../main/engine/name-text.ts';
import type { CheckItem, RunPreflight, RunRestoreResult, ServerRunEntry } from '../../../main/ipc/contract.ts';
import { CancelledCallout } from '../../components/cancelled-callout.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatDateTime, formatDuration } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { UnlockForm } from '../../components/unlock-form.tsx';
import { RunJobProgress } from './run-job-progress.tsx';
import { isRunning, useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { isLocked, requestKey, restorableDatabases, runRestoreJobOf, runRestoreRequest, targetName, typedName, useRunRestoreStore } from '../../stores/run-restore-store.ts';
import { CHECK_MARK, fixLabel, STATUS_WORD } from '../restore/restore-checklist.tsx';

/** The dialog, while one is open (ServerRuns renders it once for all runs). */
export function RunRestoreDialog() {
  const isOpen = useRunRestoreStore((s) => s.isOpen);
  const entry = useRunRestoreStore((s) => s.entry);
  if (!isOpen || !entry) return null;
  return <RunRestoreModal key={entry.file} entry={entry} />;
}

function RunRestoreModal({ entry }: { entry: ServerRunEntry }) {
  const close = useRunRestoreStore((s) => s.close);
  const job = useJobsStore((s) => runRestoreJobOf(s.jobs, entry.file));
  const loadProfiles = useProfilesStore((s) => s.load);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const uid = useId();
  const { record } = entry;

  useEffect(() => {
    const dialog = dialogRef.current;
    // Focus goes back to what opened the dialog ("Restore the run…") when it closes.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    headingRef.current?.focus();
    return () => {
      dialog?.close();
      opener?.focus();
    };
  }, []);

  useEffect(() => {
    void loadProfiles();
  }, [loadProfiles]);

  return (
    <dialog
      ref={dialogRef}
      className="modal run-restore-modal"
      aria-labelledby={`${uid}-title`}
      aria-describedby={`${uid}-run`}
      onCancel={(e) => {
        // Escape closes the dialog; a restore that runs goes on (its Cancel stops it).
        e.preventDefault();
        close();
      }}
    >
      <div className="run-restore-inner">
        <header className="modal-header">
          <div>
            <h2 id={`${uid}-title`} ref={headingRef} tabIndex={-1}>
              Restore the run
            </h2>
            {/* Names and versions come from the record (a file in the folder): escapes for bidi and control characters. */}
            <p className="muted run-restore-run" id={`${uid}-run`}>
              {visibleText(record.profile)} at {formatDateTime(record.startedAt)} · PostgreSQL {visibleText(record.serverVersion)} · {restorableDatabases(entry).length} of {record.databases.length} databases backed up
            </p>
          </div>
          <button type="button" className="btn btn-icon" aria-label="Close" title="Close" onClick={close}>
            <Icon name="x" />
          </button>
        </header>
        {job ? <RunRestoreJob job={job} onClose={close} /> : <RunRestoreChoices entry={entry} onClose={close} />}
      </div>
    </dialog>
  );
}

/** The choices and the checklist, with Close, Check and Restore in the footer. */
function RunRestoreChoices({ entry, onClose }: { entry: ServerRunEntry; onClose: () => void }) {
  const state = useRunRestoreStore();
  const { preflight, preflightKey, checking, starting, startError, check, start } = state;
  const uid = useId();
  const request = runRestoreRequest(state);
  const current = preflight !== null && preflightKey === requestKey(request);
  const canStart = current && !checking && !starting && preflight.ok;
  const count = restorableDatabases(entry).filter((name) => !state.form.skipped.includes(name)).length;
  const why = !request
    ? 'Choose a connection and at least one database.'
    : canStart
      ? 'Each database is restored as a new database and verified; nothing existing is changed.'
      : checking
        ? 'Waiting for the checklist.'
        : !preflight || !current
          ? 'Check first: Restore follows a checklist of exactly these choices.'
          : 'Resolve the ✗ items of the checklist first.';

  return (
    <>
      <div className="modal-body">
        <RunRestoreForm entry={entry} />
        <RunRestoreChecklist entry={entry} />
        {startError ? <ErrorMessage error={startError} title="The restore of the run could not start" /> : null}
      </div>
      <footer className="modal-footer run-restore-footer">
        <p className="hint" id={`${uid}-why`}>
          {why}
        </p>
        <button type="button" className="btn" onClick={onClose}>
          Close
        </button>
        <button type="button" className="btn" onClick={() => void check()} disabled={!request || checking} aria-busy={checking}>
          <Icon name="refresh" />
          {preflight || state.preflightError ? 'Check again' : 'Check'}
        </button>
        <button type="button" className="btn btn-primary" onClick={() => void start()} disabled={!canStart} aria-describedby={`${uid}-why`} aria-busy={starting}>
          <Icon name="restore" />
          {count > 0 ? `Restore ${count} database${count === 1 ? '' : 's'}` : 'Restore'}
        </button>
      </footer>
    </>
  );
}

function RunRestoreForm({ entry }: { entry: ServerRunEntry }) {
  const profiles = useProfilesStore((s) => s.profiles);
  const form = useRunRestoreStore((s) => s.form);
  const update = useRunRestoreStore((s) => s.update);
  const uid = useId();
  const { record } = entry;
  const target = profiles.find((p) => p.id === form.profileId);
  const notBackedUp = record.databases.filter((d) => !(d.outcome === 'ok' && d.archive)).map((d) => visibleText(d.name));
  const rolesHint =
    record.globals.kind === 'skipped'
      ? 'This run saved no roles, so none can be created from it: create the roles its databases use on the target first, or choose “No owner” and “No privileges”.'
      : 'Roles the databases use that the target server lacks are created from the run’s globals (the roles it saved once for all its databases), without passwords: give one a password before anyone logs in as it.';

  return (
    <>
      <div className="field">
        <label htmlFor={`${uid}-profile`}>Restore onto (connection)</label>
        <select id={`${uid}-profile`} value={form.profileId} onChange={(e) => update({ profileId: e.target.value })} aria-describedby={`${uid}-profile-hint`}>
          <option value="">Choose a connection…</option>
          {profiles.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} — {p.host}:{p.port}
            </option>
          ))}
        </select>
        <p className="hint" id={`${uid}-profile-hint`}>
          {target && target.id === record.profileId
            ? 'This is the connection the run came from: its databases are there, so give each one you restore a new name.'
            : 'Each database is restored as a new database on that server; nothing existing is changed. Any saved connection works: another server moves the databases there.'}
        </p>
      </div>

      <DatabaseChoices entry={entry} />
      {notBackedUp.length ? <p className="hint">Not offered: the run did not back up {notBackedUp.join(', ')}.</p> : null}

      <fieldset className="run-restore-flags">
        <legend>Roles and owners</legend>
        <label className="checkbox">
          <input type="checkbox" checked={form.createMissingRoles} onChange={(e) => update({ createMissingRoles: e.target.checked })} aria-describedby={`${uid}-roles-hint`} />
          <span>Create missing roles</span>
        </label>
        <p className="hint" id={`${uid}-roles-hint`}>
          {rolesHint}
        </p>
        <label className="checkbox">
          <input type="checkbox" checked={form.noOwner} onChange={(e) => update({ noOwner: e.target.checked })} />
          <span>
            No owner <span className="muted">— objects belong to {target ? <code>{target.user}</code> : 'the connection’s user'}</span>
          </span>
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={form.noPrivileges} onChange={(e) => update({ noPrivileges: e.target.checked })} />
          <span>
            No privileges <span className="muted">— GRANTs are not restored</span>
          </span>
        </label>
      </fieldset>
    </>
  );
}

/** One row per database the run backed up: restore it or not, and under what name. */
function DatabaseChoices({ entry }: { entry: ServerRunEntry }) {
  const form = useRunRestoreStore((s) => s.form);
  const preflight = useRunRestoreStore((s) => s.preflight);
  const choose = useRunRestoreStore((s) => s.choose);
  const setName = useRunRestoreStore((s) => s.setName);
  const uid = useId();
  const databases = restorableDatabases(entry);
  const chosen = databases.filter((name) => !form.skipped.includes(name)).length;

  return (
    <fieldset className="run-restore-databases" aria-describedby={`${uid}-count`}>
      <legend>Databases</legend>
      <p className="hint" id={`${uid}-count`} aria-live="polite">
        {chosen} of {databases.length} chosen. Leave “Restore as” empty to keep a database’s name.
      </p>
      <div className="table-wrap">
        <table className="table run-restore-table">
          <thead>
            <tr>
              <th scope="col">Database</th>
              <th scope="col">Restore as</th>
            </tr>
          </thead>
          <tbody>
            {databases.map((name, index) => {
              const on = !form.skipped.includes(name);
              // The checklist said this name is taken on the target: the field says so too, until the name changes.
              const blocked = nameTaken(preflight?.parts.find((p) => p.source === name), targetName(form, name));
              const shown = visibleText(name);
              return (
                <tr key={name}>
                  <th scope="row">
                    <label className="checkbox">
                      <input type="checkbox" checked={on} onChange={(e) => choose(name, e.target.checked)} />
                      <code>{shown}</code>
                    </label>
                  </th>
                  <td>
                    <label className="sr-only" htmlFor={`${uid}-name-${index}`}>
                      New name for {shown}
                    </label>
                    <input
                      id={`${uid}-name-${index}`}
                      className="run-restore-name"
                      value={typedName(form, name)}
                      placeholder={name}
                      onChange={(e) => setName(name, e.target.value)}
                      disabled={!on}
                      maxLength={63}
                      spellCheck={false}
                      autoComplete="off"
                      aria-invalid={on && blocked}
                      aria-describedby={on && blocked ? `${uid}-taken-${index}` : undefined}
                    />
                    {on && blocked ? (
                      <p className="hint text-err" id={`${uid}-taken-${index}`}>
                        A database named “{visibleText(targetName(form, name))}” exists on the target: give it a new name.
                      </p>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </fieldset>
  );
}

/** The one checklist: the whole run's items first, then each database's under its name. */
function RunRestoreChecklist({ entry }: { entry: ServerRunEntry }) {
  const state = useRunRestoreStore();
  const { preflight, preflightKey, preflightError, checking, unlock } = state;
  const uid = useId();
  const request = runRestoreRequest(state);
  const current = preflight !== null && preflightKey === requestKey(request);
  const blockers = preflight ? preflight.items.filter((i) => i.status === 'blocker').length + preflight.parts.reduce((n, p) => n + p.preflight.items.filter((i) => i.status === 'blocker').length, 0) : 0;

  let summary: string;
  if (checking) summary = 'Checking every database against the target…';
  else if (!request) summary = 'Choose a connection and at least one database, then check.';
  else if (!preflight) summary = preflightError ? 'The checklist could not run.' : 'Not checked yet: press Check.';
  else if (!current) summary = 'Changed since the check: check again.';
  else if (preflight.ok) summary = 'Ready to restore';
  else summary = `${blockers} blocker${blockers === 1 ? '' : 's'} to resolve`;

  return (
    <section className="run-restore-checklist" aria-labelledby={`${uid}-title`} aria-busy={checking}>
      <div className="run-restore-checklist-head">
        <h3 id={`${uid}-title`}>Checklist</h3>
        <p className={`checklist-state${!checking && current ? (preflight.ok ? ' checklist-ready' : ' checklist-blocked') : ''}`} aria-live="polite">
          {checking ? <span className="spinner" aria-hidden="true" /> : null}
          {summary}
        </p>
      </div>

      {preflightError && !checking ? (
        isLocked(preflightError) ? (
          <UnlockForm
            title="The run’s archives are encrypted with a key this Lifeboat does not hold"
            callout={{ message: preflightError.message, note: 'Lifeboat’s own key and saved passphrase were tried. The key you give is used for this run only and is not saved.' }}
            submitLabel="Check with it"
            identityHint="The recovery key (age-keygen format) the archives were encrypted to."
            errorTitle="Could not use that key"
            onUnlock={unlock}
          />
        ) : (
          <ErrorMessage error={preflightError} title="The checklist could not run" />
        )
      ) : null}

      {preflight ? (
        <div className={checking || !current ? 'run-checks run-checks-stale' : 'run-checks'}>
          <RunCheckGroup title="The whole run" label="Checks for the whole run" items={preflight.items} />
          {preflight.parts.map((part) => (
            <RunCheckGroup
              key={part.source}
              title={
                <>
                  <code>{visibleText(part.source)}</code> → “{visibleText(part.target)}”
                </>
              }
              label={`Checks for ${visibleText(part.source)}`}
              target={<PartTarget part={part} />}
              items={part.preflight.items.map((item) => (isNameTakenItem(part, item) ? { ...item, fix: `A database with this name exists on the target: give ${part.source} a new name under “Restore as”, then check again. (A run restores each database as a new one; to replace “${part.target}”, restore its archive on the Restore screen.)` } : item))}
            />
          ))}
        </div>
      ) : null}
      {preflight && current && !checking ? <p className="hint">{entry.record.consistency}</p> : null}
    </section>
  );
}

type RunPart = RunPreflight['parts'][number];

/** The single restore's "a database named … already exists" blocker: in a run, the fix is a new name (no replace here). */
function isNameTakenItem(part: RunPart, item: CheckItem): boolean {
  return part.preflight.target.exists && item.id === 'target' && item.status === 'blocker' && item.title.includes(`"${part.target}"`);
}

/** The checklist said the name the database would get is taken on the target. */
function nameTaken(part: RunPart | undefined, target: string): boolean {
  return part !== undefined && part.target === target && part.preflight.items.some((item) => isNameTakenItem(part, item));
}

function PartTarget({ part }: { part: RunPart }) {
  const { target } = part.preflight;
  return (
    <p className="checklist-target">
      <Icon name="server" />
      <span>
        on <strong>{visibleText(target.profile)}</strong> · PostgreSQL {visibleText(target.serverVersion)} · <code>{visibleText(`${target.host}:${target.port}`)}</code>{' '}
        <span className="muted">(“{visibleText(target.database)}” {target.exists ? 'exists' : 'does not exist yet'})</span>
      </span>
    </p>
  );
}

/** One group of the checklist, with the Restore screen's marks and wording: each item's title, detail and fix. */
function RunCheckGroup({ title, label, target, items }: { title: ReactNode; label: string; target?: ReactNode; items: CheckItem[] }) {
  const uid = useId();
  return (
    <section className="run-check-group" aria-labelledby={`${uid}-title`}>
      <h4 id={`${uid}-title`} className="run-check-title">
        {title}
      </h4>
      {target}
      <ul className="check-list" aria-label={label}>
        {items.map((item, index) => (
          <li key={`${item.id}-${index}`} className={`check check-${item.status}`}>
            <span className="check-mark" aria-hidden="true">
              {CHECK_MARK[item.status]}
            </span>
            <div className="check-body">
              <p className="check-title">
                <span className="sr-only">{STATUS_WORD[item.status]}: </span>
                {visibleText(item.title)}
              </p>
              {/* Details name the run's databases, roles and tables: bidi and control characters show as escapes. */}
              <p className="check-detail">{visibleText(item.detail)}</p>
              {item.fix ? (
                <p className="check-fix">
                  <span className="error-fix-label">{fixLabel(item.status)}</span>
                  {visibleText(item.fix)}
                </p>
              ) : null}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The restore of the run: its progress while it runs, then what became of each database. */
function RunRestoreJob({ job, onClose }: { job: JobEntry; onClose: () => void }) {
  const again = useRunRestoreStore((s) => s.again);
  const outcome = job.outcome;
  const done = () => {
    again();
    onClose();
  };
  let body: ReactNode;
  if (isRunning(job) || !outcome) body = <RunRestoreProgress job={job} />;
  else if (outcome.ok && outcome.kind === 'restore' && outcome.runRestore) body = <RunRestoreVerdict result={outcome.runRestore} />;
  else if (outcome.ok) body = null;
  else if (outcome.error.code === 'CANCELLED') body = <CancelledCallout label="Restore of the run cancelled" title="The restore of the run was cancelled." detail={outcome.error.message} action={null} />;
  else body = <ErrorMessage error={outcome.error} title="The restore of the run could not run" />;
  const running = isRunning(job);

  return (
    <>
      <div className="modal-body">{body}</div>
      <footer className="modal-footer">
        {running ? (
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
        ) : (
          <>
            <button type="button" className="btn" onClick={again}>
              Back to the choices
            </button>
            <button type="button" className="btn btn-primary" onClick={done}>
              Done
            </button>
          </>
        )}
      </footer>
    </>
  );
}


function verdictOf(result: RunRestoreResult): { title: string; className: string; icon: 'check' | 'alert' } {
  const all = result.databases.length;
  const good = result.databases.filter((d) => d.result).length;
  if (result.outcome === 'ok') return { title: `Restored all ${all} database${all === 1 ? '' : 's'} of the run`, className: 'callout callout-ok', icon: 'check' };
  if (result.outcome === 'partial') return { title: `PARTIAL: restored ${good} of ${all} databases; nothing of the others was left behind`, className: 'callout callout-warn', icon: 'alert' };
  return { title: `FAILED: no database of the run was restored; nothing of them was left behind`, className: 'callout callout-error', icon: 'alert' };
}

function RunRestoreVerdict({ result }: { result: RunRestoreResult }) {
  const uid = useId();
  const verdict = verdictOf(result);
  return (
    <section className={`${verdict.className} run-restore-verdict`} aria-labelledby={`${uid}-title`}>
      <Icon name={verdict.icon} className="callout-icon" />
      <div className="callout-body">
        <p className="callout-title" id={`${uid}-title`}>
          {verdict.title}
        </p>
        <p className="muted">
          {result.databases.length} database{result.databases.length === 1 ? '' : 's'} in {formatDuration(result.durationMs)}, one after another.
        </p>
        <div className="table-wrap">
          <table className="table run-restore-result">
            <caption className="sr-only">Each database of the run: the name it was restored as, whether it was restored, and its verification or why it failed</caption>
            <thead>
              <tr>
                <th scope="col">Database</th>
                <th scope="col">Restored as</th>
                <th scope="col">Result</th>
                <th scope="col">Verification, or why</th>
              </tr>
            </thead>
            <tbody>
              {result.databases.map((d) => (
                <tr key={d.source} className={d.result ? undefined : 'row-mismatch'}>
                  <th scope="row">
                    <code>{visibleText(d.source)}</code>
                  </th>
                  <td>
                    <code>{visibleText(d.target)}</code>
                  </td>
                  <td>{d.result ? <span className="badge badge-ok">Restored</span> : <span className="badge badge-err">FAILED</span>}</td>
                  <td className="run-reason">
                    {d.result ? (
                      <>
                        {visibleText(d.result.verification.note)}
                        {d.result.createdRoles.length ? <span className="muted"> Created roles: {d.result.createdRoles.map((r) => visibleText(r)).join(', ')}.</span> : null}
                      </>
                    ) : (
                      <>
                        <span className="error-message">{visibleText(d.error?.message ?? 'It was not restored.')}</span>
                        {d.error?.fix ? (
                          <span className="error-fix">
                            {' '}
                            <span className="error-fix-label">How to fix: </span>
                            {visibleText(d.error.fix)}
                          </span>
                        ) : null}
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}

function RunRestoreProgress({ job }: { job: JobEntry }) {
  return (
    <>
      <RunJobProgress job={job} what="Restoring the run" className="run-restore-progress" />
      <p className="hint">
        One database after another, each as a new database, verified against its backup. Cancel stops at once: the database being restored is removed, the ones restored before it are kept. Closing this dialog does not stop the restore.
      </p>
    </>
  );
}
