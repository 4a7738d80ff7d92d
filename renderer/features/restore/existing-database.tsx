// The database a "replace" or "rows of chosen tables" restore works on: picked from the databases the
// target server has (restore:target-databases), not typed from memory. When they cannot be listed
// (the server is unreachable, say) the name is typed instead, and the checklist still checks it.
import { useId } from 'react';
import { visibleText } from '../../../main/engine/name-text.ts';
import { useRestoreStore } from '../../stores/restore-store.ts';

export function ExistingDatabase({ label }: { label: string }) {
  const form = useRestoreStore((s) => s.form);
  const databases = useRestoreStore((s) => s.targetDatabases);
  const setName = useRestoreStore((s) => s.setName);
  const retry = useRestoreStore((s) => s.loadTargetDatabases);
  const uid = useId();
  const name = form.names[form.mode];
  const current = databases.profileId === form.profileId;
  const names = current ? databases.names : null;

  if (current && databases.error) {
    return (
      <div className="field restore-name">
        <label htmlFor={`${uid}-name`}>{label}</label>
        <input id={`${uid}-name`} value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} autoComplete="off" maxLength={63} aria-describedby={`${uid}-hint`} />
        <p className="hint" id={`${uid}-hint`}>
          The server’s databases could not be listed ({databases.error.message}{databases.error.fix ? ` ${databases.error.fix}` : ''}), so type the name.{' '}
          <button type="button" className="btn btn-sm" onClick={() => void retry()}>
            List them again
          </button>
        </p>
      </div>
    );
  }

  return (
    <div className="field restore-name">
      <label htmlFor={`${uid}-name`}>{label}</label>
      <select id={`${uid}-name`} value={names ? name : ''} onChange={(e) => setName(e.target.value)} disabled={!names} aria-describedby={`${uid}-hint`} aria-busy={!names}>
        <option value="">{names ? (names.length ? 'Choose a database…' : 'The server has no databases to choose') : 'Reading the server’s databases…'}</option>
        {(names ?? []).map((db) => (
          // Names come from the server: bidi and control characters show as escapes.
          <option key={db} value={db}>
            {visibleText(db)}
          </option>
        ))}
      </select>
      <p className="hint" id={`${uid}-hint`}>
        {names ? `${names.length} database${names.length === 1 ? '' : 's'} on this server (templates left out).` : 'Listing the databases of the server you restore to…'}
      </p>
    </div>
  );
}
