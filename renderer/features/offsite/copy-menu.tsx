// "Copy to…" in a library row: the destinations of the archive's connection, one button each. A copy
// already there is sent again only where the store lacks it (an unfinished upload resumes).
import { useEffect, useId, useRef } from 'react';
import type { DestinationSummary } from '../../../main/ipc/contract.ts';
import { Icon } from '../../components/icons.tsx';
import { useAttempt } from '../../components/use-attempt.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { copyJobOf, isRunning, useJobsStore } from '../../stores/jobs-store.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useOffsiteStore } from '../../stores/offsite-store.ts';

/** The destinations an archive of `profile` (the connection's name, as its sidecar says) is copied to. */
export function useDestinationsFor(profile: string): DestinationSummary[] {
  const destinations = useOffsiteStore((s) => s.destinations);
  return destinations.filter((d) => d.profileName === profile);
}

export function CopyMenu({ file, archiveName, destinations, onClose }: { file: string; archiveName: string; destinations: DestinationSummary[]; onClose: () => void }) {
  const jobs = useJobsStore((s) => s.jobs);
  const startCopy = useJobsStore((s) => s.startCopy);
  const announce = useAppStore((s) => s.announce);
  const { attempt, error, busy } = useAttempt();
  const firstRef = useRef<HTMLButtonElement>(null);
  const uid = useId();

  useEffect(() => {
    firstRef.current?.focus();
  }, []);

  const copy = (destination: DestinationSummary) =>
    attempt(async () => {
      await startCopy(file, destination);
      announce(`Copying ${archiveName} to ${destination.name}.`);
      onClose();
    });

  return (
    <div className="copy-menu" role="group" aria-labelledby={`${uid}-label`}>
      <p id={`${uid}-label`}>
        Copy <code>{archiveName}</code> to:
      </p>
      <div className="copy-menu-actions">
        {destinations.map((d, i) => {
          const job = copyJobOf(jobs, file, d.id);
          const running = job !== undefined && isRunning(job);
          return (
            <button key={d.id} ref={i === 0 ? firstRef : undefined} type="button" className="btn btn-sm" onClick={() => void copy(d)} disabled={busy || running} title={d.where}>
              <Icon name="upload" />
              {d.name}
              {running ? ' (copying…)' : ''}
            </button>
          );
        })}
        <button type="button" className="btn btn-sm" onClick={onClose}>
          Cancel
        </button>
      </div>
      {error ? <ErrorMessage error={error} title="The copy did not start" /> : null}
    </div>
  );
}
