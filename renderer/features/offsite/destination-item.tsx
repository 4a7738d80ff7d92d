// One offsite destination in Settings: where it is, whose backups go there, whether its secret key is
// saved; Test, the archives there, and Remove (confirmed: the bucket keeps its copies).
import { useId, useRef, useState } from 'react';
import type { DestinationSummary, RemoteArchive } from '../../../main/ipc/contract.ts';
import { ConfirmBar } from '../../components/confirm-bar.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useAttempt } from '../../components/use-attempt.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useOffsiteStore } from '../../stores/offsite-store.ts';
import { DestinationTestResult } from './destination-test-result.tsx';
import { RemoteArchives } from './remote-archives.tsx';

export function DestinationItem({ destination }: { destination: DestinationSummary }) {
  const test = useOffsiteStore((s) => s.tests[destination.id]);
  const runTest = useOffsiteStore((s) => s.test);
  const remove = useOffsiteStore((s) => s.remove);
  const listRemote = useOffsiteStore((s) => s.listRemote);
  const announce = useAppStore((s) => s.announce);
  const [confirming, setConfirming] = useState(false);
  const [remote, setRemote] = useState<RemoteArchive[] | null>(null);
  const listing = useAttempt();
  const removing = useAttempt();
  const removeRef = useRef<HTMLButtonElement>(null);
  const uid = useId();

  const showRemote = () =>
    listing.attempt(async () => {
      setRemote(await listRemote(destination.id));
    });

  const runRemove = () =>
    removing.attempt(async () => {
      await remove(destination.id);
      announce(`Removed ${destination.name}. The copies already in the bucket stay there.`);
    }).then((ok) => {
      if (!ok) setConfirming(false);
    });

  return (
    <li>
      <article className="destination" aria-labelledby={`${uid}-name`}>
        <div className="destination-main">
          <span className="archive-icon" aria-hidden="true">
            <Icon name="upload" />
          </span>
          <div className="destination-text">
            <h3 className="destination-name" id={`${uid}-name`}>
              {destination.name}
              {destination.secretSaved ? (
                <span className="badge badge-ok">
                  <Icon name="key" />
                  secret key saved
                </span>
              ) : (
                <span className="badge badge-warn" title="Remove the destination and add it again with its secret key.">
                  <Icon name="alert" />
                  secret key missing
                </span>
              )}
            </h3>
            <p className="destination-profile">Backups of {destination.profileName}</p>
            <p className="destination-where">
              <code>{destination.where}</code>
            </p>
            <DestinationSettings destination={destination} />
          </div>
          <div className="archive-actions">
            <button type="button" className="btn btn-sm" onClick={() => void runTest(destination.id)} disabled={test?.status === 'running'}>
              <Icon name="plug" />
              Test
            </button>
            <button type="button" className="btn btn-sm" onClick={() => void showRemote()} disabled={listing.busy} aria-busy={listing.busy}>
              Archives there
            </button>
            <button
              type="button"
              className="btn btn-icon btn-icon-danger"
              aria-label={`Remove ${destination.name}`}
              title="Remove"
              ref={removeRef}
              onClick={() => setConfirming(true)}
              aria-expanded={confirming}
            >
              <Icon name="trash" />
            </button>
          </div>
        </div>
        {test ? <DestinationTestResult state={test} name={destination.name} /> : null}
        {remote ? <RemoteArchives archives={remote} destination={destination} /> : null}
        {listing.error ? <ErrorMessage error={listing.error} title={`Could not list ${destination.name}`} /> : null}
        {confirming ? (
          <ConfirmBar
            labelId={`${uid}-confirm`}
            message={
              <>
                Remove <strong>{destination.name}</strong>? New backups of {destination.profileName} will no longer be copied there, and its saved secret key is
                deleted. The copies already in the bucket stay there.
              </>
            }
            confirmLabel="Remove destination"
            busy={removing.busy}
            onConfirm={() => void runRemove()}
            onCancel={() => {
              setConfirming(false);
              removeRef.current?.focus();
            }}
          />
        ) : null}
        {removing.error ? <ErrorMessage error={removing.error} title={`Could not remove ${destination.name}`} /> : null}
      </article>
    </li>
  );
}

/** What the destination is set to: the bucket's options (S3), or the route and login (SFTP). */
function DestinationSettings({ destination }: { destination: DestinationSummary }) {
  const { s3, sftp } = destination;
  if (sftp) {
    return (
      <ul className="archive-meta" aria-label="Destination settings">
        <li>SFTP, login by {sftp.auth === 'key' ? 'key file' : sftp.auth === 'agent' ? 'SSH agent' : 'password'}</li>
        {sftp.jumps.length ? <li>{sftp.jumps.length} jump host{sftp.jumps.length > 1 ? 's' : ''}</li> : null}
        <li>written under a temporary name, renamed when complete</li>
      </ul>
    );
  }
  if (!s3) return null;
  return (
    <ul className="archive-meta" aria-label="Destination settings">
      <li>region {s3.region}</li>
      <li>key id {s3.accessKeyId}</li>
      {s3.pathStyle ? <li>path-style</li> : null}
      <li>{s3.partChecksums ? 'SHA-256 checksum on every part' : 'no part checksums'}</li>
      {s3.storageClass ? <li>storage class {s3.storageClass}</li> : null}
      {s3.objectLockDays ? (
        <li>
          <Icon name="lock" />
          Object Lock {s3.objectLockDays} days
        </li>
      ) : null}
    </ul>
  );
}
