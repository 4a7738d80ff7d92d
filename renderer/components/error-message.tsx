import type { ErrorInfo } from '../../main/ipc/contract.ts';
import { Icon } from './icons.tsx';

/** What went wrong and what to do about it; role="alert" so it is read when it appears. */
export function ErrorMessage({ error, title, id }: { error: ErrorInfo; title?: string; id?: string }) {
  return (
    <div className="callout callout-error" role="alert" id={id}>
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
