// Who hears about a connection's runs: a webhook (chat or monitoring), desktop notifications,
// success messages too, and an alert when no backup succeeded for a while. The webhook URL is a
// secret (kept in the keychain): the page only ever sees it redacted, and pasting replaces it.
// The fields are part of the card's draft (saved with the card); the two tests act at once.
import { useId, useState } from 'react';
import type { ErrorInfo, ScheduleView } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useSchedulesStore } from '../../stores/schedules-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { staleHoursOf, type NotifyDraft } from './card-draft.ts';
import { DraftSwitch } from './draft-switch.tsx';

type WebhookTest = { ok: boolean; attempts: number; error: string | null };

export interface NotificationsEditorProps {
  view: ScheduleView;
  draft: NotifyDraft;
  disabled: boolean;
  onChange: (draft: NotifyDraft) => void;
}

export function NotificationsEditor({ view, draft, disabled, onChange }: NotificationsEditorProps) {
  const update = (next: Partial<NotifyDraft>) => onChange({ ...draft, ...next });
  const [error, setError] = useState<ErrorInfo | null>(null);
  return (
    <div className="notifications">
      <div className="notify-form">
        <WebhookField view={view} draft={draft} disabled={disabled} update={update} onError={setError} />
        <StaleField draft={draft} disabled={disabled} update={update} />
      </div>
      <DraftSwitch
        label="Desktop notifications"
        checked={draft.desktop}
        disabled={disabled}
        onChange={(desktop) => update({ desktop })}
        help="A notification on this computer when a scheduled backup or drill fails."
      />
      <DesktopTest onError={setError} />
      <DraftSwitch
        label="Notify on success too"
        checked={draft.onSuccess}
        disabled={disabled}
        onChange={(onSuccess) => update({ onSuccess })}
        help="Off: you hear only about failures and stale backups. On: every scheduled backup and drill is reported."
      />
      {error ? <ErrorMessage error={error} title="Notifications" /> : null}
    </div>
  );
}

interface FieldProps {
  draft: NotifyDraft;
  disabled: boolean;
  update: (next: Partial<NotifyDraft>) => void;
}

function WebhookField({ view, draft, disabled, update, onError }: FieldProps & { view: ScheduleView; onError: (error: ErrorInfo | null) => void }) {
  const sendTestWebhook = useSchedulesStore((s) => s.testWebhook);
  const announce = useAppStore((s) => s.announce);
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<WebhookTest | null>(null);
  const uid = useId();
  // Main sends the test to the saved URL: a URL being pasted (or removed) is saved with the card first.
  const unsaved = draft.url.trim() !== '' || draft.removeWebhook;

  const test = async () => {
    onError(null);
    setResult(null);
    setTesting(true);
    try {
      const sent = await sendTestWebhook(view.profileId);
      setResult(sent);
      announce(sent.ok ? 'The test message was delivered.' : `The test message failed: ${sent.error ?? 'no answer'}.`);
    } catch (e) {
      onError(toErrorInfo(e));
    } finally {
      setTesting(false);
    }
  };

  return (
    <div className="field">
      <label htmlFor={`${uid}-url`}>Webhook URL</label>
      <div className="input-row">
        <input
          id={`${uid}-url`}
          type="url"
          value={draft.url}
          disabled={disabled}
          onChange={(e) => {
            update({ url: e.target.value, removeWebhook: false });
            setResult(null);
          }}
          placeholder={view.notify.webhook ? 'Paste a new URL to replace the saved one' : 'https://hooks.slack.com/services/…'}
          spellCheck={false}
          autoComplete="off"
          aria-describedby={`${uid}-url-hint`}
        />
        <button type="button" className="btn" onClick={() => void test()} disabled={disabled || testing || unsaved || !view.notify.webhook} aria-busy={testing} aria-describedby={`${uid}-test-why`}>
          {testing ? <span className="spinner" aria-hidden="true" /> : <Icon name="play" />}
          Send a test
        </button>
      </div>
      <SavedWebhook view={view} draft={draft} disabled={disabled} update={update} />
      <p id={`${uid}-url-hint`} className="hint">
        Lifeboat posts JSON with a <code>text</code> field (Slack, Mattermost, Discord-compatible and most monitoring tools accept it) on failures, and on successes if asked below.
      </p>
      <p id={`${uid}-test-why`} className="hint">
        {unsaved ? 'Save your changes to send a test to the new webhook.' : view.notify.webhook ? 'The test goes to the saved webhook.' : 'Paste a webhook URL and save to send a test.'}
      </p>
      {result ? (
        <p className={result.ok ? 'status-ok saved-line' : 'status-warn saved-line'} role="status">
          <Icon name={result.ok ? 'check' : 'alert'} />
          <span>
            {result.ok
              ? `Delivered (${result.attempts} attempt${result.attempts === 1 ? '' : 's'}).`
              : `Failed after ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}: ${result.error ?? 'no answer'}.`}
          </span>
        </p>
      ) : null}
    </div>
  );
}

/** The saved webhook (redacted), where its URL is kept, and removing it (with the card's save). */
function SavedWebhook({ view, draft, disabled, update }: FieldProps & { view: ScheduleView }) {
  if (!view.notify.webhook) return null;
  if (draft.removeWebhook) {
    return (
      <p className="saved-line status-warn">
        <Icon name="alert" />
        <span>
          <code>{view.notify.webhook}</code> will be removed when you save.
        </span>
        <button type="button" className="btn btn-sm" disabled={disabled} onClick={() => update({ removeWebhook: false })}>
          Keep it
        </button>
      </p>
    );
  }
  return (
    <p className="saved-line">
      <span>
        Saved: <code>{view.notify.webhook}</code> —{' '}
        {view.notify.webhookStorage === 'keychain' ? 'the full URL is in the OS keychain.' : 'no keychain here, so the full URL is in schedules.json, readable only by you.'}
      </span>
      <button type="button" className="btn btn-sm" disabled={disabled} onClick={() => update({ url: '', removeWebhook: true })}>
        Remove webhook
      </button>
    </p>
  );
}

function StaleField({ draft, disabled, update }: FieldProps) {
  const uid = useId();
  const { valid } = staleHoursOf(draft.stale);
  return (
    <div className="field stale-field">
      <label htmlFor={`${uid}-stale`}>Alert when no successful backup for</label>
      <div className="input-row stale-row">
        <input
          id={`${uid}-stale`}
          type="number"
          inputMode="numeric"
          min={1}
          max={24 * 365}
          value={draft.stale}
          disabled={disabled}
          onChange={(e) => update({ stale: e.target.value })}
          placeholder="off"
          aria-invalid={!valid}
          aria-describedby={`${uid}-stale-hint`}
        />
        <span className="unit">hours</span>
      </div>
      <p id={`${uid}-stale-hint`} className={valid ? 'hint' : 'hint text-err'}>
        {valid ? 'Leave empty for no alert. The alert is sent even when nothing ran at all (at most once per period).' : 'A whole number of hours from 1 to 8760, or empty for no alert.'}
      </p>
    </div>
  );
}

function DesktopTest({ onError }: { onError: (error: ErrorInfo | null) => void }) {
  const sendTestDesktop = useSchedulesStore((s) => s.testDesktop);
  const [sent, setSent] = useState(false);
  const test = async () => {
    onError(null);
    setSent(false);
    try {
      await sendTestDesktop();
      setSent(true);
    } catch (e) {
      onError(toErrorInfo(e));
    }
  };
  return (
    <div className="desktop-test">
      <button type="button" className="btn btn-sm" onClick={() => void test()}>
        <Icon name="play" />
        Test desktop notification
      </button>
      {sent ? (
        <p className="status-ok" role="status">
          <Icon name="check" />
          <span>Sent. If nothing appeared, allow notifications for Lifeboat in the system settings.</span>
        </p>
      ) : null}
    </div>
  );
}
