import { useEffect } from 'react';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { ScreenHeader } from '../../components/screen-header.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useDemoStore } from '../../stores/demo-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { DemoCard, DemoNotice } from './demo-card.tsx';
import { ImportPanel } from './import-panel.tsx';
import { NextStepAfterAdd } from './next-step.tsx';
import { ProfileCard } from './profile-card.tsx';
import { ProfileForm } from './profile-form.tsx';

export function ConnectionsScreen() {
  const profiles = useProfilesStore((s) => s.profiles);
  const loaded = useProfilesStore((s) => s.loaded);
  const loadError = useProfilesStore((s) => s.loadError);
  const editor = useProfilesStore((s) => s.editor);
  const importOpen = useProfilesStore((s) => s.importOpen);
  const load = useProfilesStore((s) => s.load);
  const openEditor = useProfilesStore((s) => s.openEditor);
  const setImportOpen = useProfilesStore((s) => s.setImportOpen);
  const demoId = useDemoStore((s) => s.profileId);
  const loadDemoStatus = useDemoStore((s) => s.loadStatus);
  const keychain = useAppStore((s) => s.info?.keychain);

  useEffect(() => {
    void load();
  }, [load]);

  // Which connection (if any) is the demo: it gets a "Remove demo" action.
  useEffect(() => {
    void loadDemoStatus();
  }, [profiles, loadDemoStatus]);
  const demo = profiles.find((p) => p.id === demoId);

  const editing = editor?.mode === 'edit' ? profiles.find((p) => p.id === editor.id) : undefined;

  return (
    <div className="screen">
      <ScreenHeader
        title="Connections"
        subtitle="The PostgreSQL servers Lifeboat backs up, restores and drills."
        actions={
          <>
            <button type="button" className="btn" onClick={() => setImportOpen(!importOpen)} aria-expanded={importOpen}>
              <Icon name="import" />
              Import…
            </button>
            <button type="button" className="btn btn-primary" onClick={() => openEditor({ mode: 'add' })}>
              <Icon name="plus" />
              Add connection
            </button>
          </>
        }
      />

      {keychain && !keychain.available ? (
        <div className="callout callout-warn keychain-banner" role="note" aria-label="Keychain status">
          <Icon name="key" className="callout-icon" />
          <div className="callout-body">
            <p className="callout-title">Passwords are kept for this session only</p>
            <p>{keychain.message}</p>
          </div>
        </div>
      ) : null}

      {importOpen ? <ImportPanel onClose={() => setImportOpen(false)} /> : null}

      {loadError ? <ErrorMessage error={loadError} title="Could not load connections" /> : null}

      {loaded && profiles.length === 0 && !loadError ? (
        <>
          <DemoCard />
          <div className="card empty-state empty-state-compact">
            <Icon name="database" className="empty-icon" />
            <h2>No connections yet</h2>
            <p>Add the PostgreSQL server you want to protect, or import it from a connection URI, ~/.pgpass or PG* environment variables.</p>
          </div>
        </>
      ) : null}

      <NextStepAfterAdd profiles={profiles} loaded={loaded} />
      {demo ? <DemoNotice name={demo.name} /> : null}

      {profiles.length > 0 ? (
        <ul className="profile-list" aria-label="Saved connections">
          {profiles.map((profile) => (
            <ProfileCard key={profile.id} profile={profile} />
          ))}
        </ul>
      ) : null}

      {editor?.mode === 'add' ? <ProfileForm onClose={() => openEditor(null)} /> : null}
      {editing ? <ProfileForm key={editing.id} profile={editing} onClose={() => openEditor(null)} /> : null}
    </div>
  );
}
