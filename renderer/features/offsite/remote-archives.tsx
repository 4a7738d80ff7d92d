// The archives in a destination, as its sidecars there describe them: what a new computer would find.
import { visibleText } from '../../../main/engine/name-text.ts';
import type { RemoteArchive } from '../../../main/ipc/contract.ts';
import { formatBytes, formatDateTime } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';

export function RemoteArchives({ archives, name }: { archives: RemoteArchive[]; name: string }) {
  if (archives.length === 0) return <p className="muted remote-empty">No archives in {name} yet.</p>;
  return (
    <ul className="remote-list" aria-label={`Archives in ${name}`}>
      {archives.map((a) => (
        <li key={a.key}>
          {/* Names come from the bucket (anyone with write access there): shown escaped. */}
          <code title={visibleText(a.key)}>{visibleText(a.name)}</code>
          <span className="muted">
            {a.bytes === null ? '' : formatBytes(a.bytes)}
            {a.sidecar ? ` · ${visibleText(a.sidecar.profile)} · ${visibleText(a.sidecar.database)} · ${formatDateTime(a.sidecar.createdAt)}` : ''}
          </span>
          {a.problem ? (
            <span className="badge badge-err" title={visibleText(a.problem)}>
              <Icon name="alert" />
              {visibleText(a.problem)}
            </span>
          ) : a.local ? (
            <span className="badge badge-ok">
              <Icon name="check" />
              also on this computer
            </span>
          ) : (
            <span className="badge">only there</span>
          )}
        </li>
      ))}
    </ul>
  );
}
