import { useEffect, useRef, type ReactNode } from 'react';

/**
 * The inline "are you sure?" step under a destructive button: a message, Cancel (focused when the bar
 * appears) and a danger button. The caller hides the bar and returns focus to its trigger in onCancel.
 */
export function ConfirmBar({
  labelId,
  message,
  confirmLabel,
  onConfirm,
  onCancel,
  busy,
}: {
  /** id of the message paragraph, which also labels the group. */
  labelId: string;
  message: ReactNode;
  confirmLabel: ReactNode;
  onConfirm: () => void;
  onCancel: () => void;
  /** When given, the confirm button is disabled and aria-busy while true. */
  busy?: boolean;
}) {
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    cancelRef.current?.focus();
  }, []);

  return (
    <div className="confirm-bar" role="group" aria-labelledby={labelId}>
      <p id={labelId}>{message}</p>
      <div className="confirm-actions">
        <button type="button" className="btn" ref={cancelRef} onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="btn btn-danger" onClick={onConfirm} disabled={busy} aria-busy={busy}>
          {confirmLabel}
        </button>
      </div>
    </div>
  );
}
