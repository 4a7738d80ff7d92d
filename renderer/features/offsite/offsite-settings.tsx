// Settings → Offsite destinations: the S3-compatible buckets and SFTP folders each connection's
// backups are copied to after every backup, with a test of each and a form to add one.
import { useEffect, useId, useRef, useState } from 'react';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useOffsiteStore } from '../../stores/offsite-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { DestinationForm } from './destination-form.tsx';
import { DestinationItem } from './destination-item.tsx';

export function OffsiteSettings() {
  const destinations = useOffsiteStore((s) => s.destinations);
  const loaded = useOffsiteStore((s) => s.loaded);
  const loadError = useOffsiteStore((s) => s.loadError);
  const load = useOffsiteStore((s) => s.load);
  const profiles = useProfilesStore((s) => s.profiles);
  const loadProfiles = useProfilesStore((s) => s.load);
  const [adding, setAdding] = useState(false);
  const addRef = useRef<HTMLButtonElement>(null);
  const uid = useId();

  useEffect(() => {
    void load();
    void loadProfiles();
  }, [load, loadProfiles]);

  const closeForm = () => {
    setAdding(false);
    // After the form is gone: focus back on the button that opened it.
    setTimeout(() => addRef.current?.focus(), 0);
  };

  return (
    <section className="card offsite-settings" aria-labelledby={`${uid}-title`}>
      <div className="card-header">
        <h2 id={`${uid}-title`}>Offsite destinations</h2>
        {!adding ? (
          <div className="card-actions">
            <button type="button" ref={addRef} className="btn" onClick={() => setAdding(true)} disabled={profiles.length === 0} aria-expanded={adding}>
              <Icon name="plus" />
              Add destination
            </button>
          </div>
        ) : null}
      </div>
      <p className="card-intro">
        After every backup, Lifeboat copies the archive and its sidecar to each destination of the connection, resumes an interrupted upload where it stopped, and
        counts a copy only once the store holds exactly the archive’s bytes (its SHA-256). Any S3-compatible store works (AWS S3, Backblaze B2, Cloudflare R2, MinIO, Wasabi), or a folder on
        a server you can reach over SSH (SFTP).
      </p>
      {loadError ? <ErrorMessage error={loadError} title="Could not read the destinations" /> : null}
      {loaded && destinations.length === 0 && !adding ? (
        <p className="muted">{profiles.length === 0 ? 'No destinations. Add a connection first: a destination receives one connection’s backups.' : 'No destinations yet: backups stay on this computer only.'}</p>
      ) : null}
      {destinations.length > 0 ? (
        <ul className="destination-list" aria-label="Destinations">
          {destinations.map((d) => (
            <DestinationItem key={d.id} destination={d} />
          ))}
        </ul>
      ) : null}
      {adding ? <DestinationForm profiles={profiles} onClose={closeForm} /> : null}
    </section>
  );
}
