// Where drills restore to (a throwaway local PostgreSQL 18 by default, or a server of a connection),
// and the newest backup of every connection, one click from being drilled.
import { useId, useState } from 'react';
import type { ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { baseName, formatBytes, formatDateTime } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { UnreadableFolders } from '../../components/unreadable-folders.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { latestByProfile, useDrillsStore } from '../../stores/drills-store.ts';
import { isRunning, useJobsStore } from '../../stores/jobs-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { DrillBadge } from './drill-badge.tsx';

export function DrillLauncher() {
  const profiles = useProfilesStore((s) => s.profiles);
  const archives = useDrillsStore((s) => s.archives);
  const archivesLoaded = useDrillsStore((s) => s.archivesLoaded);
  const unreadable = useDrillsStore((s) => s.unreadable);
  const scratchKind = useDrillsStore((s) => s.scratchKind);
  const scratchProfileId = useDrillsStore((s) => s.scratchProfileId);
  const keep = useDrillsStore((s) => s.keep);
  const setScratch = useDrillsStore((s) => s.setScratch);
  const start = useDrillsStore((s) => s.start);
  const jobs = useJobsStore((s) => s.jobs);
  const navigate = useAppStore((s) => s.navigate);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const uid = useId();

  const latest = latestByProfile(archives);
  // Saved connections first (in their order), then names known only from archives (imported ones).
  const rows = [
    ...profiles.map((p) => ({ key: p.id, name: p.name, color: p.color as string | null, database: p.database, entry: latest.get(p.name) ?? null })),
    ...[...latest.entries()].filter(([name]) => !profiles.some((p) => p.name === name)).map(([name, entry]) => ({ key: `archive:${name}`, name, color: null, database: entry.sidecar.database, entry })),
  ];
  const drilling = (file: string) => Object.values(jobs).some((j) => j.kind === 'drill' && isRunning(j) && j.subject?.kind === 'drill' && j.subject.file === file);
  const scratchProfile = profiles.find((p) => p.id === scratchProfileId) ?? profiles[0];

  const drill = async (file: string) => {
    setError(null);
    try {
      await start(file);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  return (
    <section className="card drill-launcher" aria-labelledby={`${uid}-title`}>
      <h2 id={`${uid}-title`} className="card-title">
        Run a drill
      </h2>
      <p className="card-intro">
        A drill restores a backup into a scratch database, then compares every table’s exact row count, the schema’s object counts and your canary queries with what the backup
        recorded. The time it takes is your measured recovery time.
      </p>

      <fieldset className="drill-scratch-choice">
        <legend>Restore into</legend>
        <div className="radio-cards">
          <label className="radio-card">
            <input type="radio" name={`${uid}-scratch`} checked={scratchKind === 'embedded'} onChange={() => setScratch({ scratchKind: 'embedded' })} aria-describedby={`${uid}-embedded`} />
            <span className="radio-card-text">
              <span className="radio-card-label">Embedded PostgreSQL (recommended)</span>
              <span className="hint" id={`${uid}-embedded`}>
                A throwaway local PostgreSQL 18, started for the drill and deleted afterwards. Nothing to set up; no server is touched.
              </span>
            </span>
          </label>
          <label className="radio-card">
            <input
              type="radio"
              name={`${uid}-scratch`}
              checked={scratchKind === 'profile'}
              onChange={() => setScratch({ scratchKind: 'profile', scratchProfileId: scratchProfile?.id ?? '' })}
              disabled={profiles.length === 0}
              aria-describedby={`${uid}-server`}
            />
            <span className="radio-card-text">
              <span className="radio-card-label">A server of a connection</span>
              <span className="hint" id={`${uid}-server`}>
                Proves the backup on the server you would restore to, in a scratch database <code>lifeboat_drill_…</code>, dropped afterwards.
              </span>
            </span>
          </label>
        </div>
        {scratchKind === 'profile' ? (
          <div className="drill-server-fields">
            <div className="field">
              <label htmlFor={`${uid}-profile`}>Server</label>
              <select id={`${uid}-profile`} value={scratchProfile?.id ?? ''} onChange={(e) => setScratch({ scratchProfileId: e.target.value })}>
                {profiles.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name} — {p.host}:{p.port}
                  </option>
                ))}
              </select>
            </div>
            <label className="checkbox">
              <input type="checkbox" checked={keep} onChange={(e) => setScratch({ keep: e.target.checked })} />
              Keep the scratch database for inspection
            </label>
          </div>
        ) : null}
      </fieldset>

      <h3 className="tools-heading" id={`${uid}-latest`}>
        Latest backup of each connection
      </h3>
      <UnreadableFolders problems={unreadable} />
      {archivesLoaded && rows.length === 0 ? (
        <div className="empty-state library-empty">
          <Icon name="archive" className="empty-icon" />
          <h3>Nothing to drill yet</h3>
          <p>Back up a connection first; its newest backup then appears here, one click from a drill.</p>
          <button type="button" className="btn btn-primary" onClick={() => navigate('backups')}>
            Go to Backups
          </button>
        </div>
      ) : (
        <ul className="latest-list" aria-labelledby={`${uid}-latest`}>
          {rows.map((row) => (
            <li key={row.key} className="latest-row">
              <span className={row.color ? `color-dot color-${row.color}` : 'color-dot color-slate'} aria-hidden="true" />
              <div className="latest-text">
                <p className="latest-name">
                  <strong>{row.name}</strong> <span className="muted">· {row.database}</span>
                  {row.entry ? <DrillBadge drill={row.entry.sidecar.drill} /> : null}
                </p>
                {row.entry ? (
                  <p className="latest-meta">
                    {formatDateTime(row.entry.sidecar.createdAt)} · {formatBytes(row.entry.sidecar.bytes)} · <code title={row.entry.path}>{baseName(row.entry.path)}</code>
                  </p>
                ) : (
                  <p className="latest-meta muted">No backup yet</p>
                )}
              </div>
              <button
                type="button"
                className="btn"
                onClick={() => row.entry && void drill(row.entry.path)}
                disabled={!row.entry || drilling(row.entry.path)}
                aria-label={`Drill latest backup of ${row.name}`}
              >
                <Icon name="flask" />
                {row.entry && drilling(row.entry.path) ? 'Drilling…' : 'Drill latest backup'}
              </button>
            </li>
          ))}
        </ul>
      )}
      {error ? <ErrorMessage error={error} title="The drill could not start" /> : null}
    </section>
  );
}
