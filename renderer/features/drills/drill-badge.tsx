import type { ArchiveSidecar } from '../../../main/ipc/contract.ts';
import { formatDate, formatDuration } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';

/** The archive's latest drill, from its sidecar: "Drilled ✓ <date>" or "Drill failed". */
export function DrillBadge({ drill }: { drill: ArchiveSidecar['drill'] }) {
  if (!drill) return null;
  if (drill.passed) {
    return (
      <span className="badge badge-ok" title={`Restored in a drill on ${formatDate(drill.at)}; recovery took ${formatDuration(drill.recoveryMs)}.`}>
        <Icon name="flask" />
        Drilled ✓ {formatDate(drill.at)}
      </span>
    );
  }
  return (
    <span className="badge badge-err" title={`The drill on ${formatDate(drill.at)} failed: see Drills for what differed.`}>
      <Icon name="alert" />
      Drill failed · {formatDate(drill.at)}
    </span>
  );
}
