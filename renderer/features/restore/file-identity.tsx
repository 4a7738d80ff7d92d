// The identity card: what the file is and holds, read from inside it (restore:inspect). An encrypted
// file that no key opens asks for a passphrase or an identity file, then is read again.
import { useId, type ReactNode } from 'react';
import { visibleText } from '../../../main/engine/name-text.ts';
import type { ErrorInfo, Inspection } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { baseName, formatBytes, formatCount, formatDateTime } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { Facts } from '../../components/job-done.tsx';
import { UnlockForm } from '../../components/unlock-form.tsx';
import { useRestoreStore } from '../../stores/restore-store.ts';

/** `compact` (while a restore runs or after it): the heading and the key facts only. */
export function FileIdentity({ onChooseAnother, locked, compact }: { onChooseAnother: () => void; locked: boolean; compact: boolean }) {
  const file = useRestoreStore((s) => s.file)!;
  const inspection = useRestoreStore((s) => s.inspection);
  const inspecting = useRestoreStore((s) => s.inspecting);
  const lockedError = useRestoreStore((s) => s.locked);
  const inspectError = useRestoreStore((s) => s.inspectError);
  const close = useRestoreStore((s) => s.close);
  const uid = useId();

  return (
    <section className="card identity" aria-labelledby={`${uid}-title`} aria-busy={inspecting}>
      <header className="identity-header">
        <span className={inspection?.encryption || lockedError ? 'identity-icon' : 'identity-icon identity-icon-plain'} aria-hidden="true">
          <Icon name={inspection?.encryption || lockedError ? 'lock' : 'file'} />
        </span>
        <div className="identity-heading">
          <h2 id={`${uid}-title`}>Backup file</h2>
          <p className="identity-name">
            <code title={visibleText(file)}>{visibleText(baseName(file))}</code>
          </p>
          {inspection ? <p className="identity-kind">{sentenceCase(visibleText(inspection.label))}</p> : null}
        </div>
        <div className="card-actions">
          <button type="button" className="btn btn-sm" onClick={onChooseAnother} disabled={locked}>
            <Icon name="folder" />
            Choose another…
          </button>
          <button type="button" className="btn btn-icon" aria-label="Close this file" title="Close this file" onClick={close} disabled={locked}>
            <Icon name="x" />
          </button>
        </div>
      </header>

      {inspecting ? (
        <p className="test-running identity-reading" role="status">
          <span className="spinner" aria-hidden="true" />
          Reading the file… Lifeboat archives are decrypted and every checksum is checked, so a large one takes a moment.
        </p>
      ) : null}
      {lockedError && !inspecting ? <Unlock error={lockedError} /> : null}
      {inspectError && !inspecting ? <ErrorMessage error={inspectError} title="Lifeboat cannot read this file" /> : null}
      {inspection && !inspecting ? <IdentityFacts inspection={inspection} compact={compact} /> : null}
    </section>
  );
}

function sentenceCase(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function IdentityFacts({ inspection, compact }: { inspection: Inspection; compact: boolean }) {
  return (
    <>
      {/* What the file says about itself: bidi and control characters show as escapes (name-text.ts). */}
      <Facts
        className="identity-facts"
        facts={[
          { label: 'Source database', value: inspection.sourceDatabase !== null ? visibleText(inspection.sourceDatabase) : <span className="muted">not recorded</span> },
          { label: 'PostgreSQL', value: inspection.sourceServerVersion !== null ? visibleText(inspection.sourceServerVersion) : <span className="muted">unknown</span> },
          { label: 'Created', value: inspection.createdAt ? formatDateTime(inspection.createdAt) : <span className="muted">unknown</span> },
          { label: 'Size', value: formatBytes(inspection.size) },
        ]}
      />
      {compact ? null : <IdentityDetails inspection={inspection} />}
    </>
  );
}

function IdentityDetails({ inspection }: { inspection: Inspection }) {
  const keys = useRestoreStore((s) => s.keys);
  const uid = useId();
  const manifest = inspection.lifeboat?.manifest;
  const openedWith = keys.identityFile ? (
    <>
      opened with <code>{baseName(keys.identityFile)}</code>
    </>
  ) : keys.passphrase ? (
    'opened with the passphrase you typed'
  ) : (
    'opened with Lifeboat’s key'
  );

  return (
    <>
      <dl className="kv identity-kv">
        <Row label="Encryption">
          {inspection.encryption ? (
            <span className="status-ok">
              <Icon name="lock" />
              <span>
                Encrypted ({inspection.encryption}), {openedWith}
              </span>
            </span>
          ) : (
            <span className="text-warn">Not encrypted</span>
          )}
        </Row>
        {manifest ? (
          <Row label="Backed up from">
            {visibleText(String(manifest.source.profile))} · <code>{visibleText(`${manifest.source.user}@${manifest.source.host}:${manifest.source.port}/${manifest.source.database}`)}</code>
          </Row>
        ) : null}
        {inspection.dumpedBy ? <Row label="Written by">pg_dump {visibleText(inspection.dumpedBy)}</Row> : null}
        {inspection.sql ? <Row label="Script">{formatCount(inspection.sql.lines)} lines</Row> : null}
        <Row label="Roles">{inspection.roles.length ? <Chips values={inspection.roles} label="Roles" /> : <span className="muted">none named</span>}</Row>
        <Row label="Extensions">{inspection.extensions.length ? <Chips values={inspection.extensions} label="Extensions" /> : <span className="muted">none</span>}</Row>
        <Row label="Path">
          <code className="hash">{visibleText(inspection.path)}</code>
        </Row>
      </dl>

      {inspection.problem ? (
        <div className="callout callout-error identity-problem">
          <Icon name="alert" className="callout-icon" />
          <div className="callout-body">
            <p className="callout-title">Lifeboat will not restore this file as it is</p>
            <p className="error-message">{visibleText(inspection.problem.message)}</p>
          </div>
        </div>
      ) : null}

      <div className="identity-tables">
        <h3 id={`${uid}-tables`} className="drawer-heading">
          Tables <span className="muted">({inspection.tables.length})</span>
        </h3>
        {inspection.tables.length === 0 ? (
          <p className="muted">{inspection.problem ? 'The file was not read to the end.' : 'No tables are listed in this file.'}</p>
        ) : (
          <TablesTable inspection={inspection} labelledBy={`${uid}-tables`} />
        )}
      </div>
    </>
  );
}

function TablesTable({ inspection, labelledBy }: { inspection: Inspection; labelledBy: string }) {
  const known = inspection.tables.some((t) => t.rows !== null);
  // A partitioned table's rows are counted in its partitions.
  const partitioned = new Set((inspection.lifeboat?.manifest.tables ?? []).filter((t) => t.kind === 'p').map((t) => `${t.schema}.${t.name}`));
  const total = known ? inspection.tables.reduce((sum, t) => sum + (t.rows ?? 0), 0) : null;
  return (
    // Scrolls on its own when long; focusable so the keyboard can scroll it too.
    <div className="table-wrap table-scroll" tabIndex={0} role="region" aria-labelledby={labelledBy}>
      <table className="table">
        <caption className="sr-only">Tables in the file{known ? ' with the row counts recorded at backup time' : ''}</caption>
        <thead>
          <tr>
            <th scope="col">Table</th>
            <th scope="col" className="num">
              Rows
            </th>
          </tr>
        </thead>
        <tbody>
          {inspection.tables.map((t) => (
            <tr key={`${t.schema}.${t.name}`}>
              <th scope="row">
                <code>{visibleText(`${t.schema}.${t.name}`)}</code>
              </th>
              <td className="num">{t.rows !== null ? formatCount(t.rows) : partitioned.has(`${t.schema}.${t.name}`) ? <span className="muted">in partitions</span> : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
        {total !== null ? (
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td className="num">{formatCount(total)}</td>
            </tr>
          </tfoot>
        ) : null}
      </table>
    </div>
  );
}

function Chips({ values, label }: { values: string[]; label: string }) {
  return (
    <ul className="chips" aria-label={label}>
      {values.map((v) => (
        <li key={v}>
          <code>{visibleText(v)}</code>
        </li>
      ))}
    </ul>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** Asks for what opens the file: a passphrase, or an identity (recovery-key) file. */
function Unlock({ error }: { error: ErrorInfo }) {
  const unlock = useRestoreStore((s) => s.unlock);
  const keys = useRestoreStore((s) => s.keys);
  const tried = Boolean(keys.passphrase || keys.identityFile);
  return (
    <UnlockForm
      title={tried ? 'That key does not open this file' : 'This file is encrypted: give the key that opens it'}
      callout={{ message: error.message, note: 'Lifeboat’s own key and saved passphrase were tried first. The key is used for this file only and is not saved.' }}
      submitLabel="Unlock"
      identityHint="The recovery key Lifeboat exported, or a file made by age-keygen."
      errorTitle="Could not use that file"
      // The passphrase goes to main with each call for this file, and is dropped with it.
      onUnlock={unlock}
    />
  );
}
