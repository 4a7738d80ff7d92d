import { Icon } from './icons.tsx';

/** The × that puts away a finished job's outcome. */
export function DismissButton({ onClick }: { onClick: () => void }) {
  return (
    <button type="button" className="btn btn-icon" aria-label="Dismiss" title="Dismiss" onClick={onClick}>
      <Icon name="x" />
    </button>
  );
}
