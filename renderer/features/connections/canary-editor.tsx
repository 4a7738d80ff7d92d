// "Canary queries" in the profile form: name + SQL per row. The engine checks them when the profile
// is saved (one statement each, unique names, the limits below) and the form shows its message; main
// asks the user in a native question before new ones are saved, since they run at every backup.
import { useId } from 'react';
import type { ProfileInput, ProfileSummary } from '../../../main/ipc/contract.ts';
import { Icon } from '../../components/icons.tsx';

/** The limits main's schema and the engine enforce (main/ipc/schemas.ts, profiles/profile-validation.ts). */
export const MAX_CANARIES = 20;
const MAX_NAME = 100;
const MAX_SQL = 10_000;

/** A row as typed; `key` keeps React's rows apart while rows are removed. */
export interface CanaryRow {
  key: number;
  name: string;
  sql: string;
}

let nextKey = 1;
const row = (name = '', sql = ''): CanaryRow => ({ key: nextKey++, name, sql });

export function initialCanaries(profile: ProfileSummary | undefined): CanaryRow[] {
  return (profile?.canaryQueries ?? []).map((canary) => row(canary.name, canary.sql));
}

/**
 * What to send: nothing when the list is as saved (an edit keeps the saved canaries), the list, or
 * null when the user removed every canary the profile had. Rows left wholly empty are ignored.
 */
export function canariesInput(rows: CanaryRow[], profile: ProfileSummary | undefined): Pick<ProfileInput, 'canaryQueries'> {
  const typed = rows.map((r) => ({ name: r.name.trim(), sql: r.sql.trim() })).filter((c) => c.name !== '' || c.sql !== '');
  const saved = profile?.canaryQueries ?? [];
  const same = typed.length === saved.length && typed.every((c, i) => c.name === saved[i]!.name && c.sql === saved[i]!.sql.trim());
  if (same) return {};
  return { canaryQueries: typed.length ? typed : null };
}

export function CanaryEditor({ rows, onChange }: { rows: CanaryRow[]; onChange: (rows: CanaryRow[]) => void }) {
  const uid = useId();
  const update = (key: number, patch: Partial<CanaryRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const full = rows.length >= MAX_CANARIES;
  return (
    <fieldset className="span-2 cert-fieldset canary-editor" aria-describedby={`${uid}-hint`}>
      <legend>Canary queries (optional)</legend>
      <p id={`${uid}-hint`} className="hint canary-hint">
        A canary is a query that returns one value, such as <code>SELECT count(*) FROM orders</code>. Each backup records its value, and a drill runs it again on the restored copy and compares.
      </p>
      {rows.map((r, index) => (
        <div key={r.key} className="canary-row" role="group" aria-label={`Canary ${index + 1}`}>
          <div className="field">
            <label htmlFor={`${uid}-${r.key}-name`}>Canary name</label>
            <input id={`${uid}-${r.key}-name`} value={r.name} maxLength={MAX_NAME} onChange={(e) => update(r.key, { name: e.target.value })} placeholder="e.g. orders" autoComplete="off" />
          </div>
          <div className="field canary-sql">
            <label htmlFor={`${uid}-${r.key}-sql`}>Canary SQL</label>
            <textarea id={`${uid}-${r.key}-sql`} rows={2} value={r.sql} maxLength={MAX_SQL} onChange={(e) => update(r.key, { sql: e.target.value })} placeholder="SELECT count(*) FROM orders" spellCheck={false} autoComplete="off" />
          </div>
          <button type="button" className="btn btn-icon btn-icon-danger" aria-label={`Remove canary ${index + 1}`} title="Remove" onClick={() => onChange(rows.filter((x) => x.key !== r.key))}>
            <Icon name="trash" />
          </button>
        </div>
      ))}
      <div className="canary-actions">
        <button type="button" className="btn btn-sm" onClick={() => onChange([...rows, row()])} disabled={full}>
          <Icon name="plus" />
          Add canary
        </button>
        {full ? <span className="hint">At most {MAX_CANARIES} canaries.</span> : null}
      </div>
    </fieldset>
  );
}
