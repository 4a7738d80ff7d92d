import type { ErrorInfo } from '../../main/ipc/contract.ts';
import { Icon } from './icons.tsx';

/** What went wrong and what to do about it; role="alert" so it is read when it appears. */
/** `announce: false` inside a dialog that already describes itself with it (no second announcement). */
export function ErrorMessage({ error, title, id, announce = true }: { error: ErrorInfo; title?: string; id?: string; announce?: boolean }) {
  return (
    <div className="callout callout-error" role={announce ? 'alert' : undefined} id={id}>
      <Icon name="alert" className="callout-icon" />
      <div className="callout-body">
        {title ? <p className="callout-title">{title}</p> : null}
        <p className="error-message">{error.message}</p>
        {error.fix ? (
          <p className="error-fix">
            <span className="error-fix-label">How to fix: </span>
            {error.fix}
          </p>
        ) : null}
      </div>
    </div>
  );
}
