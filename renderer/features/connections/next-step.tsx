// After a connection is added (by the form, an import or the demo): the next step is its first
// backup, one click away, instead of a list that just grew by one.
import { useEffect, useRef, useState } from 'react';
import type { ProfileSummary } from '../../../main/ipc/contract.ts';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useJobsStore } from '../../stores/jobs-store.ts';

/** The connection that appeared since the list was first loaded on this screen, if any. */
function useNewProfile(profiles: ProfileSummary[], loaded: boolean): [ProfileSummary | null, () => void] {
  const known = useRef<Set<string> | null>(null);
  const [added, setAdded] = useState<ProfileSummary | null>(null);
  useEffect(() => {
    if (!loaded) return;
    if (known.current) {
      const fresh = profiles.find((p) => !known.current!.has(p.id));
      if (fresh) setAdded(fresh);
      else if (added && !profiles.some((p) => p.id === added.id)) setAdded(null);
    }
    known.current = new Set(profiles.map((p) => p.id));
  }, [profiles, loaded, added]);
  return [added, () => setAdded(null)];
}

export function NextStepAfterAdd({ profiles, loaded }: { profiles: ProfileSummary[]; loaded: boolean }) {
  const [added, dismiss] = useNewProfile(profiles, loaded);
  const setBackupProfile = useJobsStore((s) => s.setBackupProfile);
  const requestBackup = useAppStore((s) => s.requestBackup);
  if (!added) return null;
  const backUp = () => {
    setBackupProfile(added.id);
    requestBackup();
  };
  return (
    <div className="callout callout-ok next-step" role="status">
      <Icon name="check" className="callout-icon" />
      <div className="callout-body">
        <p className="callout-title">{added.name} is saved.</p>
        <p>Next, back it up: the first backup shows that Lifeboat can reach it and read every table.</p>
        <div className="next-steps">
          <button type="button" className="btn btn-sm btn-primary" onClick={backUp}>
            <Icon name="archive" />
            Back it up
          </button>
          <button type="button" className="btn btn-sm" onClick={dismiss}>
            Later
          </button>
        </div>
      </div>
    </div>
  );
}
