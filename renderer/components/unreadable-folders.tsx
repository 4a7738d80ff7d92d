// Backup folders Lifeboat could not read (no permission, an I/O error): their archives are neither
// listed nor counted, so each is said in words where the archives are shown.
import type { FolderProblem } from '../../main/ipc/contract.ts';
import { Icon } from './icons.tsx';

export function UnreadableFolders({ problems }: { problems: FolderProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <div className="callout callout-warn" role="alert">
      <Icon name="alert" className="callout-icon" />
      <div className="callout-body">
        {problems.map((p) => (
          <p key={p.folder}>
            <span className="callout-title">{p.message}</span> {p.fix}
          </p>
        ))}
      </div>
    </div>
  );
}
