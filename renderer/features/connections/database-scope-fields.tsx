// "Databases to back up" in the profile form: only the profile's database (the default), a list of
// databases, or every database of the server with leave-out patterns. The engine checks the scope
// again when it is saved (main/engine/profiles/database-scope.ts); the form catches what it can first
// so the message names the field.
import { useId } from 'react';
import type { DatabaseScope, ErrorInfo, ProfileSummary } from '../../../main/ipc/contract.ts';

export type ScopeKind = 'one' | 'list' | 'all';

/** The scope as the form edits it: text as typed, so switching between choices loses nothing. */
export interface ScopeFields {
  kind: ScopeKind;
  /** Database names, separated by commas or lines. */
  list: string;
  /** Leave-out patterns (`*`, `?`), separated by commas or lines. */
  exclude: string;
  includeMaintenance: boolean;
  includeTemplates: boolean;
}

const CHOICES: { value: ScopeKind; label: string; help: string }[] = [
  { value: 'one', label: 'Only this database', help: 'The database named above: one archive per backup.' },
  { value: 'list', label: 'These databases', help: 'The databases you name: one archive each, in one run.' },
  { value: 'all', label: 'All databases on the server', help: 'Every database, minus the ones you leave out: new databases are picked up at each run.' },
];

export function initialScope(profile: ProfileSummary | undefined): ScopeFields {
  const scope = profile?.scope;
  return {
    kind: scope ? scope.kind : 'one',
    list: scope?.kind === 'list' ? scope.databases.join(', ') : '',
    exclude: scope?.kind === 'all' ? scope.exclude.join(', ') : '',
    includeMaintenance: scope?.kind === 'all' ? scope.includeMaintenance : false,
    includeTemplates: scope?.kind === 'all' ? scope.includeTemplates : false,
  };
}

/** Names typed with commas or one per line; blanks dropped. */
function splitNames(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((name) => name.trim())
    .filter(Boolean);
}

/**
 * The scope to send with the profile. "Only this database" sends null when the profile had a scope
 * (an edit's absent scope would keep the saved one) and nothing otherwise.
 */
export function scopeInput(fields: ScopeFields, hadScope: boolean): { scope?: DatabaseScope | null } | { error: ErrorInfo } {
  if (fields.kind === 'one') return hadScope ? { scope: null } : {};
  if (fields.kind === 'list') {
    const databases = splitNames(fields.list);
    if (databases.length === 0) return { error: { code: 'INVALID_INPUT', message: 'The list of databases to back up is empty.', fix: 'Type the names separated by commas, or choose all databases on the server.' } };
    return { scope: { kind: 'list', databases } };
  }
  return { scope: { kind: 'all', exclude: splitNames(fields.exclude), includeMaintenance: fields.includeMaintenance, includeTemplates: fields.includeTemplates } };
}

/** "All databases except tmp_*", "3 databases: shop, crm, hr" — short, for the profile card. */
export function DatabaseScopeFields({ value, onChange }: { value: ScopeFields; onChange: (next: ScopeFields) => void }) {
  const uid = useId();
  const set = (patch: Partial<ScopeFields>) => onChange({ ...value, ...patch });
  return (
    <fieldset className="span-2 scope-fields">
      <legend>Databases to back up</legend>
      <div className="radio-cards radio-cards-3">
        {CHOICES.map((choice) => (
          <label key={choice.value} className="radio-card">
            <input type="radio" name={`${uid}-scope`} value={choice.value} checked={value.kind === choice.value} onChange={() => set({ kind: choice.value })} aria-describedby={`${uid}-${choice.value}`} />
            <span className="radio-card-text">
              <span className="radio-card-label">{choice.label}</span>
              <span id={`${uid}-${choice.value}`} className="hint">
                {choice.help}
              </span>
            </span>
          </label>
        ))}
      </div>
      {value.kind === 'list' ? <ListFields value={value} set={set} /> : null}
      {value.kind === 'all' ? <AllFields value={value} set={set} /> : null}
      {value.kind !== 'one' ? (
        // Said before the first run: a restore of several archives is not one point in time.
        <p className="callout callout-info scope-note" role="note">
          Each database is consistent on its own (its own snapshot), not with the others. Lifeboat connects to the <strong>Database</strong> above first, to list the server’s databases.
        </p>
      ) : null}
    </fieldset>
  );
}

type SetScope = (patch: Partial<ScopeFields>) => void;

function ListFields({ value, set }: { value: ScopeFields; set: SetScope }) {
  const uid = useId();
  return (
    <div className="field">
      <label htmlFor={`${uid}-list`}>Databases (separated by commas or lines)</label>
      <textarea id={`${uid}-list`} rows={3} value={value.list} onChange={(e) => set({ list: e.target.value })} placeholder="shop, crm" spellCheck={false} autoComplete="off" aria-describedby={`${uid}-list-hint`} />
      <p id={`${uid}-list-hint`} className="hint">
        Names as PostgreSQL shows them (\l in psql). A name the server does not have fails that database, not the others.
      </p>
    </div>
  );
}

function AllFields({ value, set }: { value: ScopeFields; set: SetScope }) {
  const uid = useId();
  return (
    <div className="field">
      <label htmlFor={`${uid}-exclude`}>Leave out (patterns, * and ?)</label>
      <input id={`${uid}-exclude`} value={value.exclude} onChange={(e) => set({ exclude: e.target.value })} placeholder="tmp_*, test_?" spellCheck={false} autoComplete="off" aria-describedby={`${uid}-exclude-hint`} />
      <p id={`${uid}-exclude-hint`} className="hint">
        Separated by commas; * is any run of characters, ? one character. New databases are picked up at each run.
      </p>
      <label className="checkbox">
        <input type="checkbox" checked={value.includeMaintenance} onChange={(e) => set({ includeMaintenance: e.target.checked })} />
        Include the postgres database
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={value.includeTemplates} onChange={(e) => set({ includeTemplates: e.target.checked })} />
        Include template databases
      </label>
    </div>
  );
}
