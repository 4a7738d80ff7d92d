// How to restore: the target server (any saved connection, which also covers moving to another
// server), the mode, its database name, and the options the checklist may ask for.
import { useId } from 'react';
import type { Inspection, Preflight } from '../../../main/ipc/contract.ts';
import { visibleText } from '../../../main/engine/name-text.ts';
import { connectionLabel, formatCount } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { SettingRow } from '../../components/setting-row.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { useRestoreStore, type RestoreMode } from '../../stores/restore-store.ts';
import { ExistingDatabase } from './existing-database.tsx';

const MODES: { value: RestoreMode; label: string; help: string }[] = [
  { value: 'new', label: 'Into a new database', help: 'The safe default: a database of its own; nothing existing is touched.' },
  { value: 'replace', label: 'Replace an existing database', help: 'Restored alongside, verified, then swapped in by renaming. The old one is kept.' },
  { value: 'data-only', label: 'Bring back rows of chosen tables', help: 'Adds the rows of the tables you pick to an existing database, all or nothing.' },
];

export function RestoreOptions({ inspection }: { inspection: Inspection }) {
  const profiles = useProfilesStore((s) => s.profiles);
  const loaded = useProfilesStore((s) => s.loaded);
  const form = useRestoreStore((s) => s.form);
  const preflight = useRestoreStore((s) => s.preflight);
  const update = useRestoreStore((s) => s.update);
  const setName = useRestoreStore((s) => s.setName);
  const navigate = useAppStore((s) => s.navigate);
  const uid = useId();
  const name = form.names[form.mode];
  const profile = profiles.find((p) => p.id === form.profileId);
  const rolesItem = preflight?.items.find((i) => i.id === 'roles');
  // A file this Lifeboat did not make runs as a temporary role; what it leaves unowned goes to the stand-in role.
  const restricted = preflight?.leastPrivilege ?? false;
  const offerRoles = form.createMissingRoles || (rolesItem !== undefined && rolesItem.status !== 'ok' && inspection.lifeboat !== null);

  if (loaded && profiles.length === 0) {
    return (
      <section className="card empty-state" aria-labelledby={`${uid}-title`}>
        <Icon name="database" className="empty-icon" />
        <h2 id={`${uid}-title`}>No server to restore to yet</h2>
        <p>Add the PostgreSQL server you want to restore to as a connection; the file stays open here.</p>
        <button type="button" className="btn btn-primary" onClick={() => navigate('connections')}>
          Go to Connections
        </button>
      </section>
    );
  }

  return (
    <section className="card restore-options" aria-labelledby={`${uid}-title`}>
      <h2 id={`${uid}-title`} className="card-title">
        How to restore
      </h2>

      <div className="field restore-target">
        <label htmlFor={`${uid}-profile`}>Restore to</label>
        <select id={`${uid}-profile`} value={form.profileId} onChange={(e) => update({ profileId: e.target.value })} aria-describedby={`${uid}-profile-hint`}>
          {profiles.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} — {p.host}:{p.port}
            </option>
          ))}
        </select>
        <p className="hint" id={`${uid}-profile-hint`}>
          {profile ? (
            <>
              Connects as <code>{connectionLabel(profile)}</code>. Any saved connection works: choosing another server moves the database there.
            </>
          ) : (
            'Any saved connection works: choosing another server moves the database there.'
          )}
        </p>
      </div>

      <fieldset className="restore-modes">
        <legend>What to do</legend>
        <div className="radio-cards radio-cards-3">
          {MODES.map((m) => (
            <label key={m.value} className="radio-card">
              <input type="radio" name={`${uid}-mode`} value={m.value} checked={form.mode === m.value} onChange={() => update({ mode: m.value })} aria-describedby={`${uid}-${m.value}`} />
              <span className="radio-card-text">
                <span className="radio-card-label">{m.label}</span>
                <span id={`${uid}-${m.value}`} className="hint">
                  {m.help}
                </span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>

      <div className="restore-mode-fields">
        {form.mode === 'new' ? (
          <div className="field restore-name">
            <label htmlFor={`${uid}-name`}>New database name</label>
            <input id={`${uid}-name`} value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} autoComplete="off" maxLength={63} />
          </div>
        ) : null}

        {form.mode === 'replace' ? (
          <>
            <ExistingDatabase label="Database to replace" />
            <SettingRow
              label="Safety backup first"
              controlId={`${uid}-safety`}
              help={<>An encrypted backup of “{name}” is written to its backup folder before anything changes.</>}
              helpId={`${uid}-safety-help`}
              className="restore-safety"
            >
              <input
                id={`${uid}-safety`}
                type="checkbox"
                role="switch"
                className="switch"
                checked={form.safetyBackup}
                onChange={(e) => update({ safetyBackup: e.target.checked })}
                aria-describedby={`${uid}-safety-help`}
              />
            </SettingRow>
            <div className="field restore-confirm">
              <label htmlFor={`${uid}-confirm`}>
                Type “{name}” to confirm the replace
              </label>
              <input
                id={`${uid}-confirm`}
                value={form.confirm}
                onChange={(e) => update({ confirm: e.target.value })}
                spellCheck={false}
                autoComplete="off"
                aria-describedby={`${uid}-confirm-hint`}
                aria-invalid={form.confirm !== '' && form.confirm !== name}
              />
              <p className="hint" id={`${uid}-confirm-hint`}>
                The current “{name}” is kept as <code>{name}_before_restore_…</code> until you drop it.
              </p>
            </div>
          </>
        ) : null}

        {form.mode === 'data-only' ? (
          <>
            <ExistingDatabase label="Existing database" />
            <TablePicker inspection={inspection} />
          </>
        ) : null}
      </div>

      <fieldset className="restore-flags">
        <legend>Options</legend>
        <label className="checkbox">
          <input type="checkbox" checked={form.noOwner} onChange={(e) => update({ noOwner: e.target.checked })} />
          <span>
            No owner <span className="muted">— objects belong to {restricted ? <code>lifeboat_restored</code> : profile ? <code>{profile.user}</code> : 'the connection’s user'}</span>
          </span>
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={form.noPrivileges} onChange={(e) => update({ noPrivileges: e.target.checked })} />
          <span>
            No privileges <span className="muted">— GRANTs are not restored</span>
          </span>
        </label>
        {restricted && inspection.owners.length > 0 && !form.noOwner ? (
          <label className="checkbox">
            <input type="checkbox" checked={form.keepOwners} onChange={(e) => update({ keepOwners: e.target.checked })} />
            <span>
              Keep the file’s owners <span className="muted">— roles without rights only; their code then runs as them</span>
            </span>
          </label>
        ) : null}
        {offerRoles ? (
          <label className="checkbox">
            <input type="checkbox" checked={form.createMissingRoles} onChange={(e) => update({ createMissingRoles: e.target.checked })} />
            <span>
              Create missing roles <span className="muted">— from the archive’s roles, without passwords</span>
            </span>
          </label>
        ) : null}
        {form.createMissingRoles && preflight?.roleChoices.length ? <RoleAttributeChoices choices={preflight.roleChoices} /> : null}
      </fieldset>
    </section>
  );
}

/** Privileged attributes the archive gives roles it creates: off unless ticked per role (a stranger's archive could make itself a superuser). */
function RoleAttributeChoices({ choices }: { choices: Preflight['roleChoices'] }) {
  const kept = useRestoreStore((s) => s.form.privilegedRoleAttributes);
  const update = useRestoreStore((s) => s.update);
  const uid = useId();
  const toggle = (role: string, attribute: PrivilegedRoleAttribute, on: boolean) => {
    const now = (kept[role] ?? []).filter((a) => a !== attribute);
    update({ privilegedRoleAttributes: { ...kept, [role]: on ? [...now, attribute] : now } });
  };
  return (
    <fieldset className="role-attribute-choices" aria-describedby={`${uid}-why`}>
      <legend>Privileges the archive gives new roles</legend>
      <p className="hint" id={`${uid}-why`}>
        Left out unless you tick them: keep one only if you trust this archive with that power on the whole server.
      </p>
      {choices.map((choice) => (
        <div key={choice.name} className="role-attribute-row">
          <code>{visibleText(choice.name)}</code>
          {choice.offered.map((attribute) => (
            <label key={attribute} className="checkbox">
              <input type="checkbox" checked={(kept[choice.name] ?? []).includes(attribute)} onChange={(e) => toggle(choice.name, attribute, e.target.checked)} />
              <span>{attribute.toUpperCase()}</span>
            </label>
          ))}
        </div>
      ))}
    </fieldset>
  );
}

type PrivilegedRoleAttribute = Preflight['roleChoices'][number]['offered'][number];

function TablePicker({ inspection }: { inspection: Inspection }) {
  const chosen = useRestoreStore((s) => s.form.tables);
  const update = useRestoreStore((s) => s.update);
  const uid = useId();
  const all = inspection.tables.map((t) => `${t.schema}.${t.name}`);
  const toggle = (name: string, on: boolean) => update({ tables: on ? [...chosen.filter((t) => t !== name), name] : chosen.filter((t) => t !== name) });

  return (
    <fieldset className="table-picker" aria-describedby={`${uid}-count`}>
      <legend>Tables to bring back</legend>
      <div className="table-picker-bar">
        <p id={`${uid}-count`} className="muted" aria-live="polite">
          {chosen.length} of {all.length} chosen
        </p>
        <button type="button" className="btn btn-sm" onClick={() => update({ tables: all })} disabled={chosen.length === all.length}>
          Choose all
        </button>
        <button type="button" className="btn btn-sm" onClick={() => update({ tables: [] })} disabled={chosen.length === 0}>
          Clear
        </button>
      </div>
      {all.length === 0 ? (
        <p className="muted">This file lists no tables.</p>
      ) : (
        <ul className="table-picker-list">
          {inspection.tables.map((t) => {
            const name = `${t.schema}.${t.name}`;
            return (
              <li key={name}>
                <label className="checkbox">
                  <input type="checkbox" checked={chosen.includes(name)} onChange={(e) => toggle(name, e.target.checked)} />
                  <code>{name}</code>
                  {t.rows !== null ? (
                    <span className="muted">
                      {formatCount(t.rows)} row{t.rows === 1 ? '' : 's'}
                    </span>
                  ) : null}
                </label>
              </li>
            );
          })}
        </ul>
      )}
    </fieldset>
  );
}
