// One archive in the library table: its row of cells (library-columns.tsx says what each holds) and,
// when opened with "More" or when there is something to say (a problem, a failed or running
// verification), a full-width second row under it (archive-row-detail.tsx). Both sit in one <tbody>,
// which the table measures as one item of its virtual list.
import { createContext, memo, useContext, useEffect, useId, useMemo, useRef } from 'react';
import { flexRender } from '@tanstack/react-table';
import type { ArchiveEntry, VerificationRecord } from '../../../main/ipc/contract.ts';
import type { JobEntry } from '../../stores/jobs-store.ts';
import { formatDate } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { useArchiveActions, type ArchiveActions } from './archive-actions.ts';
import { ArchiveDetailPanel } from './archive-row-detail.tsx';
import type { LibraryTableRow } from './library-columns.tsx';
import { shortDay, verifyView } from './library-model.ts';

/** What the row's cells share with it: the actions, whether its second row is open. */
interface RowUi {
  entry: ArchiveEntry;
  actions: ArchiveActions;
  verifying: boolean;
  expanded: boolean;
  detailId: string;
  toggle(): void;
}

const RowUiContext = createContext<RowUi | null>(null);

export interface ArchiveRowProps {
  row: LibraryTableRow;
  /** The archive's verify job in this window, if any. */
  job: JobEntry | undefined;
  /** aria-rowindex of the archive's row; its second row (when shown) is the next. */
  rowIndex: number;
  detail: boolean;
  expanded: boolean;
  /** Visible columns: the cells to draw change with it (the Offsite column comes and goes). */
  columnCount: number;
  onExpand(id: string, open: boolean): void;
  onDetails(entry: ArchiveEntry): void;
}

/**
 * Memoised: every prop is stable while the archive does not change (TanStack keeps its row objects
 * across sorts and filters), so a sort, a keystroke in the search or a progress event redraws only
 * the rows that changed or came into the page.
 */
export const ArchiveRow = memo(function ArchiveRow({ row, job, rowIndex, detail, expanded, columnCount, onExpand, onDetails }: ArchiveRowProps) {
  const entry = row.original.entry;
  const view = useMemo(() => verifyView(entry, job), [entry, job]);
  const actions = useArchiveActions(entry);
  const detailId = useId();
  const cells = row.getVisibleCells();
  // A failed start or action says why in the second row, which opens for it (once per error: the
  // user may close it again).
  const expand = useRef(onExpand);
  expand.current = onExpand;
  useEffect(() => {
    if (actions.error) expand.current(row.id, true);
  }, [actions.error, row.id]);

  const ui: RowUi = { entry, actions, verifying: view.verifying, expanded, detailId, toggle: () => onExpand(row.id, !expanded) };
  return (
    <RowUiContext.Provider value={ui}>
      <tr aria-rowindex={rowIndex} className={detail ? 'library-row has-detail' : 'library-row'}>
        {cells.map((cell) => {
          const className = cell.column.columnDef.meta?.className;
          const content = flexRender(cell.column.columnDef.cell, cell.getContext());
          // The creation time names the row (a row header), as the file name would be too long to.
          return cell.column.id === 'created' ? (
            <th key={cell.id} scope="row" className={className}>
              {content}
            </th>
          ) : (
            <td key={cell.id} className={className}>
              {content}
            </td>
          );
        })}
      </tr>
      {detail ? (
        <tr aria-rowindex={rowIndex + 1} className="library-detail" id={detailId}>
          <td colSpan={columnCount}>
            <ArchiveDetailPanel entry={entry} view={view} actions={actions} expanded={expanded} onDetails={() => onDetails(entry)} />
          </td>
        </tr>
      ) : null}
    </RowUiContext.Provider>
  );
});

function useRowUi(): RowUi {
  const ui = useContext(RowUiContext);
  if (!ui) throw new Error('RowActions is rendered inside an ArchiveRow only.');
  return ui;
}

/** The row's own buttons: the three everyday actions, and "More" for the rest (in the second row). */
export function RowActions() {
  const { actions, verifying, expanded, detailId, toggle } = useRowUi();
  return (
    <div className="library-actions">
      <button type="button" className="btn btn-sm" onClick={actions.restore} title="Opens Restore with this file: its safety checklist comes first">
        Restore…
      </button>
      <button type="button" className="btn btn-sm" onClick={() => void actions.verify('quick')} disabled={verifying} title="Checks the file’s SHA-256 against its sidecar">
        Verify
      </button>
      <button type="button" className="btn btn-sm" onClick={() => void actions.drill()} disabled={actions.drilling} title="Restores it into a scratch database and compares every table with the backup (opens Drills)">
        {actions.drilling ? 'Drilling…' : 'Drill'}
      </button>
      <button
        type="button"
        className="btn btn-icon btn-sm library-more"
        aria-label="More"
        title="More: facts, details, full verification, offsite copy, reveal, delete"
        aria-expanded={expanded}
        aria-controls={expanded ? detailId : undefined}
        onClick={toggle}
      >
        <Icon name="arrow-down" />
      </button>
    </div>
  );
}

/** Verification and drill in a few words; the shapes of the icons differ as well as their colours. */
export function StatusCell({ entry }: { entry: ArchiveEntry }) {
  const { verification, drill, partial } = entry.sidecar;
  return (
    <span className="library-status">
      {entry.problem ? (
        <span className="badge badge-err" title={entry.problem.message}>
          <Icon name="alert" />
          Problem
        </span>
      ) : (
        <CompactVerification verification={verification} partial={partial === true} />
      )}
      {drill ? (
        <span className={drill.passed ? 'badge badge-ok' : 'badge badge-err'} title={`${drill.passed ? 'Restored in a drill' : 'The drill failed'} on ${shortDay(drill.at)}`}>
          <Icon name={drill.passed ? 'flask' : 'x'} />
          {drill.passed ? 'Drilled ✓' : 'Drill failed'}
        </span>
      ) : null}
    </span>
  );
}

function CompactVerification({ verification, partial }: { verification: VerificationRecord | undefined; partial: boolean }) {
  if (verification) {
    const when = `${verification.ok ? 'Verified' : 'Verification failed'} on ${shortDay(verification.at)}: ${verification.message}`;
    return (
      <span className={verification.ok ? 'badge badge-ok' : 'badge badge-err'} title={when}>
        <Icon name={verification.ok ? 'check' : 'x'} />
        {verification.ok ? `Verified (${verification.level})` : 'Verify failed'}
      </span>
    );
  }
  if (partial) {
    return (
      <span className="badge badge-warn" title="Listed from the file alone: Lifeboat could not read what is inside (no key, or the file is damaged).">
        <Icon name="eye" />
        Unread
      </span>
    );
  }
  return (
    <span className="badge" title="Not verified yet: Verify checks the file against its sidecar">
      <Icon name="clock" />
      Not verified
    </span>
  );
}

/** The verification badge with its date, for the details drawer. */
export function StatusBadge({ verification, partial }: { verification: VerificationRecord | undefined; partial: boolean }) {
  if (verification?.ok) {
    return (
      <span className="badge badge-ok" title={verification.message}>
        <Icon name="check" />
        Verified ({verification.level}) · {formatDate(verification.at)}
      </span>
    );
  }
  if (verification) {
    return (
      <span className="badge badge-err" title={verification.message}>
        <Icon name="x" />
        Verification failed · {formatDate(verification.at)}
      </span>
    );
  }
  if (partial) {
    return (
      <span className="badge badge-warn" title="Listed from the file alone: Lifeboat could not read what is inside (no key, or the file is damaged).">
        Contents unread
      </span>
    );
  }
  return <span className="badge">Not verified yet</span>;
}
