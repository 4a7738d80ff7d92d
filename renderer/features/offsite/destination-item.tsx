// One offsite destination in Settings: where it is, whose backups go there, whether its secret key is
// saved (S3) or which logins are saved per hop (SFTP); Test (an unknown SSH host key asks the
// host-key dialog), the archives there, and Remove (confirmed: the bucket or folder keeps its copies).
import { useId, useRef, useState } from 'react';
import type { DestinationSummary, RemoteArchive, SshHop } from '../../../main/ipc/contract.ts';
import { ConfirmBar } from '../../components/confirm-bar.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useAttempt } from '../../components/use-attempt.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useOffsiteStore } from '../../stores/offsite-store.ts';
import { askHostKey, testDestination } from './destination-test.ts';
import { DestinationTestResult } from './destination-test-result.tsx';
import { RemoteArchives } from './remote-archives.tsx';

export function DestinationItem({ destination }: { destination: DestinationSummary }) {
  const test = useOffsiteStore((s) => s.tests[destination.id]);
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

  const sftp = destination.kind === 'sftp';
  const store = sftp ? 'folder' : 'bucket';
  const runTest = async () => {
    const result = await testDestination(destination);
    announce(result.ok ? `${destination.name} works.` : `The test of ${destination.name} failed: ${result.error?.message ?? ''}`);
  };

  const runRemove = () =>
    removing.attempt(async () => {
      await remove(destination.id);
      announce(`Removed ${destination.name}. The copies already in the ${store} stay there.`);
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
              {sftp ? (
                destination.secretSaved ? null : (
                  <span className="badge badge-warn" title="Remove the destination and add it again with the password.">
                    <Icon name="alert" />
                    password missing
                  </span>
                )
              ) : destination.secretSaved ? (
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
            <button type="button" className="btn btn-sm" onClick={() => void runTest()} disabled={test?.status === 'running'}>
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
        {test ? <DestinationTestResult state={test} name={destination.name} onHostKey={test.status === 'done' ? () => askHostKey(destination, test.result) : undefined} /> : null}
        {remote ? <RemoteArchives archives={remote} destination={destination} /> : null}
        {listing.error ? <ErrorMessage error={listing.error} title={`Could not list ${destination.name}`} /> : null}
        {confirming ? (
          <ConfirmBar
            labelId={`${uid}-confirm`}
            message={
              <>
                Remove <strong>{destination.name}</strong>? New backups of {destination.profileName} will no longer be copied there, and its saved{' '}
                {sftp ? 'passwords and passphrases are' : 'secret key is'} deleted. The copies already in the {store} stay there.
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
    const hops = [...sftp.jumps, sftp];
    return (
      <>
        <ul className="archive-meta" aria-label="Destination settings">
          <li>SFTP, login by {sftp.auth === 'key' ? 'key file' : sftp.auth === 'agent' ? 'SSH agent' : 'password'}</li>
          {sftp.jumps.length ? <li>{sftp.jumps.length} jump host{sftp.jumps.length > 1 ? 's' : ''}</li> : null}
          <li>written under a temporary name, renamed when complete</li>
        </ul>
        <ul className="archive-meta destination-logins" aria-label="SSH logins">
          {hops.map((hop, i) => (
            <li key={`${i}-${hop.user}@${hop.host}:${hop.port}`}>
              {/* One span: the list's gap would otherwise split the hop from its colon. */}
              <span>
                <code>
                  {hop.user}@{hop.host}:{hop.port}
                </code>
                {i < hops.length - 1 ? ' (jump)' : ''}: {hopLogin(hop, destination.sshSecretsSaved?.[i] === true)}
              </span>
            </li>
          ))}
        </ul>
      </>
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

/** How one hop logs in, and whether its password or key passphrase is saved in the keychain (never its value). */
function hopLogin(hop: SshHop, saved: boolean) {
  if (hop.auth === 'agent') return 'SSH agent';
  if (hop.auth === 'password') {
    return saved ? (
      <>
        <Icon name="key" /> password saved
      </>
    ) : (
      <span className="status-warn">
        <Icon name="alert" /> password missing
      </span>
    );
  }
  const file = hop.keyFile ? hop.keyFile.split(/[\\/]/).pop() : 'key file';
  return saved ? (
    <>
      key {file}, <Icon name="key" /> passphrase saved
    </>
  ) : (
    <>key {file}, no passphrase saved</>
  );
}
