import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { ArchiveDetails, ArchiveEntry, ErrorInfo, ManifestTable } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { baseName, ENCRYPTION_LABEL, formatBytes, formatCount, formatDateTime, formatDuration } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { useLibraryStore } from '../../stores/library-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { useArchiveActions } from './archive-actions.ts';
import { StatusBadge } from './archive-row.tsx';

const KIND_LABEL: Record<ManifestTable['kind'], string> = { r: 'table', p: 'partitioned', m: 'materialized view' };
const GLOBALS_LABEL: Record<ArchiveDetails['manifest']['options']['globals'], string> = {
  'roles-without-passwords': 'roles, without passwords',
  'roles-with-passwords': 'roles, with password hashes',
  skipped: 'not saved',
};

/** A modal side drawer: what the archive holds, read from inside it (needs the key). */
export function ArchiveDetailsDrawer({ entry, onClose }: { entry: ArchiveEntry; onClose: () => void }) {
  const details = useLibraryStore((s) => s.details);
  const [data, setData] = useState<ArchiveDetails | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const uid = useId();

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
    dialog?.querySelector<HTMLButtonElement>('.drawer-close')?.focus();
    return () => dialog?.close();
  }, []);

  useEffect(() => {
    let live = true;
    details(entry.path).then(
      (d) => live && setData(d),
      (e: unknown) => live && setError(toErrorInfo(e)),
    );
    return () => {
      live = false;
    };
  }, [details, entry.path]);

  const sidecar = data?.sidecar ?? entry.sidecar;

  return (
    <dialog
      ref={dialogRef}
      className="drawer"
      aria-labelledby={`${uid}-title`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself) closes it.
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div className="drawer-inner">
        <header className="modal-header">
          <div>
            <h2 id={`${uid}-title`}>Archive details</h2>
            <p className="drawer-file">
              <code>{baseName(entry.path)}</code>
            </p>
          </div>
          <button type="button" className="btn btn-icon drawer-close" aria-label="Close" onClick={onClose}>
            <Icon name="x" />
          </button>
        </header>
        {/* Focusable, so a keyboard user can scroll the details (nothing in them takes focus). */}
        <div className="drawer-body" tabIndex={0} role="region" aria-label="Archive contents">
          {error ? <ErrorMessage error={error} title="Could not read inside the archive" /> : null}
          {!data && !error ? (
            <p className="test-running" aria-busy="true">
              <span className="spinner" aria-hidden="true" />
              Decrypting the manifest…
            </p>
          ) : null}

          <section aria-labelledby={`${uid}-summary`}>
            <h3 id={`${uid}-summary`} className="drawer-heading">
              Summary
            </h3>
            <dl className="kv">
              <Row label="Created">{formatDateTime(sidecar.createdAt)}</Row>
              <Row label="Status">
                <StatusBadge verification={sidecar.verification} partial={sidecar.partial === true} />
              </Row>
              <Row label="Size">{formatBytes(sidecar.bytes)}</Row>
              <Row label="Encryption">
                <span className={sidecar.encryption.kind === 'none' ? 'text-warn' : undefined}>{ENCRYPTION_LABEL[sidecar.encryption.kind]}</span>
                {sidecar.encryption.recipients.length ? (
                  <ul className="plain-list">
                    {sidecar.encryption.recipients.map((r) => (
                      <li key={r}>
                        <code className="hash">{r}</code>
                      </li>
                    ))}
                  </ul>
                ) : null}
              </Row>
              <Row label="File">
                <code className="hash">{entry.path}</code>
              </Row>
              <Row label="SHA-256">
                <code className="hash">{sidecar.sha256}</code>
              </Row>
              {sidecar.verification ? <Row label="Last check">{sidecar.verification.message}</Row> : null}
            </dl>
          </section>

          {data ? (
            <>
              <section aria-labelledby={`${uid}-source`}>
                <h3 id={`${uid}-source`} className="drawer-heading">
                  Source and versions
                </h3>
                <dl className="kv">
                  <Row label="Connection">{data.manifest.source.profile}</Row>
                  <Row label="Server">
                    <code>
                      {data.manifest.source.user}@{data.manifest.source.host}:{data.manifest.source.port}/{data.manifest.source.database}
                    </code>
                  </Row>
                  <Row label="PostgreSQL">{data.manifest.server.version}</Row>
                  <Row label="pg_dump">{data.manifest.tools.pg_dump.version}</Row>
                  <Row label="pg_dumpall">{data.manifest.tools.pg_dumpall?.version ?? 'not used'}</Row>
                  <Row label="Made by">{data.manifest.createdBy}</Row>
                </dl>
              </section>

              <section aria-labelledby={`${uid}-snapshot`}>
                <h3 id={`${uid}-snapshot`} className="drawer-heading">
                  Snapshot and options
                </h3>
                <dl className="kv">
                  <Row label="Snapshot">
                    {data.manifest.snapshot.exact ? (
                      <span className="status-ok">
                        <Icon name="check" />
                        <span>
                          Consistent: dump and row counts read snapshot <code>{data.manifest.snapshot.id}</code>
                        </span>
                      </span>
                    ) : (
                      <span className="text-warn">Not exact{data.manifest.snapshot.note ? `: ${data.manifest.snapshot.note}` : ''}</span>
                    )}
                  </Row>
                  <Row label="Compression">{data.manifest.options.compression}</Row>
                  <Row label="Roles">{GLOBALS_LABEL[data.manifest.options.globals]}</Row>
                  <Row label="Row counts">{data.checksums.rowCounts ? (data.checksums.rowCounts.exact ? 'exact, in the snapshot' : 'counted, not in one snapshot') : 'not counted'}</Row>
                  <Row label="Dump">
                    {formatBytes(data.checksums.dump.bytes)} in {data.checksums.dump.parts} part{data.checksums.dump.parts === 1 ? '' : 's'}
                  </Row>
                  <Row label="Dump SHA-256">
                    <code className="hash">{data.checksums.dump.sha256}</code>
                  </Row>
                  <Row label="Duration">
                    {formatDuration(data.checksums.timings.totalMs)} (dump {formatDuration(data.checksums.timings.dumpMs)}
                    {data.checksums.timings.rowCountsMs !== null ? `, row counts ${formatDuration(data.checksums.timings.rowCountsMs)}` : ''})
                  </Row>
                </dl>
                {data.manifest.notes.length ? (
                  <ul className="notes-list">
                    {data.manifest.notes.map((note) => (
                      <li key={note}>
                        <Icon name="info" />
                        <span>{note}</span>
                      </li>
                    ))}
                  </ul>
                ) : null}
              </section>

              <TablesSection details={data} headingId={`${uid}-tables`} />
            </>
          ) : null}
        </div>
        <DrawerActions entry={entry} onLeave={onClose} />
      </div>
    </dialog>
  );
}

function TablesSection({ details, headingId }: { details: ArchiveDetails; headingId: string }) {
  const counts = new Map((details.checksums.rowCounts?.tables ?? []).map((t) => [`${t.schema}.${t.name}`, t.rows]));
  const total = details.checksums.rowCounts?.tables.reduce((sum, t) => sum + t.rows, 0) ?? null;
  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId} className="drawer-heading">
        Tables <span className="muted">({details.manifest.tables.length})</span>
      </h3>
      {details.manifest.tables.length === 0 ? (
        <p className="muted">This database has no tables.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Tables in the archive with their row counts</caption>
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col">Kind</th>
                <th scope="col" className="num">
                  Rows
                </th>
                <th scope="col" className="num">
                  Size on server
                </th>
              </tr>
            </thead>
            <tbody>
              {details.manifest.tables.map((t) => {
                const key = `${t.schema}.${t.name}`;
                const rows = counts.get(key);
                return (
                  <tr key={key}>
                    <th scope="row">
                      <code>{key}</code>
                    </th>
                    <td>{KIND_LABEL[t.kind]}</td>
                    <td className="num">{rows !== undefined ? formatCount(rows) : t.kind === 'p' ? <span className="muted">in partitions</span> : '—'}</td>
                    <td className="num">{formatBytes(t.estimatedBytes)}</td>
                  </tr>
                );
              })}
            </tbody>
            {total !== null ? (
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td />
                  <td className="num">{formatCount(total)}</td>
                  <td />
                </tr>
              </tfoot>
            ) : null}
          </table>
        </div>
      )}
    </section>
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

/** Restore, verify or drill the archive from its details; leaving for another screen closes the drawer. */
function DrawerActions({ entry, onLeave }: { entry: ArchiveEntry; onLeave: () => void }) {
  const { verify, drill, restore, drilling, error } = useArchiveActions(entry);
  return (
    <footer className="modal-footer drawer-actions">
      {error ? <ErrorMessage error={error} /> : null}
      <button type="button" className="btn" onClick={() => void verify('quick')}>
        Verify
      </button>
      <button type="button" className="btn" onClick={() => void drill().then((started) => started && onLeave())} disabled={drilling}>
        <Icon name="flask" />
        {drilling ? 'Drilling…' : 'Drill'}
      </button>
      <button
        type="button"
        className="btn btn-primary"
        onClick={() => {
          restore();
          onLeave();
        }}
      >
        <Icon name="restore" />
        Restore…
      </button>
    </footer>
  );
}
