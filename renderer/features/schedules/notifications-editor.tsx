// Who hears about a connection's runs: a webhook (chat or monitoring), desktop notifications,
// success messages too, and an alert when no backup succeeded for a while. The webhook URL is a
// secret (kept in the keychain): the page only ever sees it redacted, and pasting replaces it.
import { useId, useState, type FormEvent } from 'react';
import type { ScheduleView } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { Toggle } from '../../components/toggle.tsx';
import { useAttempt } from '../../components/use-attempt.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useSchedulesStore } from '../../stores/schedules-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

type WebhookTest = { ok: boolean; attempts: number; error: string | null };

export function NotificationsEditor({ view }: { view: ScheduleView }) {
  const save = useSchedulesStore((s) => s.save);
  const sendTestWebhook = useSchedulesStore((s) => s.testWebhook);
  const sendTestDesktop = useSchedulesStore((s) => s.testDesktop);
  const announce = useAppStore((s) => s.announce);
  const [url, setUrl] = useState('');
  const [stale, setStale] = useState(view.notify.staleHours ? String(view.notify.staleHours) : '');
  const { attempt, error, setError, busy } = useAttempt();
  const [testing, setTesting] = useState(false);
  const [webhookTest, setWebhookTest] = useState<WebhookTest | null>(null);
  const [desktopSent, setDesktopSent] = useState(false);
  const uid = useId();

  const urlValue = url.trim() === '' ? null : url.trim();
  const staleValid = stale.trim() === '' || (/^\d{1,4}$/.test(stale.trim()) && Number(stale) >= 1 && Number(stale) <= 24 * 365);
  const staleValue = stale.trim() === '' || !staleValid ? null : Number(stale);
  const dirty = urlValue !== null || (staleValid && staleValue !== view.notify.staleHours);

  /** Saves the typed fields; false when main refused them. */
  const saveFields = async (): Promise<boolean> =>
    staleValid &&
    attempt(async () => {
      const saved = await save(view.profileId, { notify: { ...(urlValue === null ? {} : { webhookUrl: urlValue }), staleHours: staleValue } });
      setUrl('');
      setStale(saved.notify.staleHours ? String(saved.notify.staleHours) : '');
    });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (dirty && (await saveFields())) announce(`Notifications of ${view.profile} saved.`);
  };

  const testWebhook = async () => {
    setWebhookTest(null);
    if (dirty && !(await saveFields())) return;
    setTesting(true);
    try {
      const result = await sendTestWebhook(view.profileId);
      setWebhookTest(result);
      announce(result.ok ? 'The test message was delivered.' : `The test message failed: ${result.error ?? 'no answer'}.`);
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setTesting(false);
    }
  };

  const testDesktop = async () => {
    setError(null);
    setDesktopSent(false);
    try {
      await sendTestDesktop();
      setDesktopSent(true);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  const toggle = async (patch: { desktop?: boolean; onSuccess?: boolean; webhookUrl?: null }, said: string): Promise<boolean> => {
    try {
      await save(view.profileId, { notify: patch });
      announce(said);
      return true;
    } catch (e) {
      setError(toErrorInfo(e));
      return false;
    }
  };

  return (
    <div className="notifications">
      <form className="notify-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${uid}-url`}>Webhook URL</label>
          <div className="input-row">
            <input
              id={`${uid}-url`}
              type="url"
              value={url}
              disabled={busy}
              onChange={(e) => {
                setUrl(e.target.value);
                setWebhookTest(null);
              }}
              placeholder={view.notify.webhook ? 'Paste a new URL to replace the saved one' : 'https://hooks.slack.com/services/…'}
              spellCheck={false}
              autoComplete="off"
              aria-describedby={`${uid}-url-hint`}
            />
            <button type="button" className="btn" onClick={() => void testWebhook()} disabled={busy || testing || (urlValue === null && !view.notify.webhook)} aria-busy={testing}>
              {testing ? <span className="spinner" aria-hidden="true" /> : <Icon name="play" />}
              Send a test
            </button>
          </div>
          {view.notify.webhook ? (
            <p className="saved-line">
              <span>
                Saved: <code>{view.notify.webhook}</code> —{' '}
                {view.notify.webhookStorage === 'keychain' ? 'the full URL is in the OS keychain.' : 'no keychain here, so the full URL is in schedules.json, readable only by you.'}
              </span>
              <button type="button" className="btn btn-sm" disabled={busy} onClick={() => void toggle({ webhookUrl: null }, 'Webhook removed.')}>
                Remove webhook
              </button>
            </p>
          ) : null}
          <p id={`${uid}-url-hint`} className="hint">
            Lifeboat posts JSON with a <code>text</code> field (Slack, Mattermost, Discord-compatible and most monitoring tools accept it) on failures, and on successes if asked below.
          </p>
          {webhookTest ? (
            <p className={webhookTest.ok ? 'status-ok saved-line' : 'status-warn saved-line'} role="status">
              <Icon name={webhookTest.ok ? 'check' : 'alert'} />
              <span>
                {webhookTest.ok
                  ? `Delivered (${webhookTest.attempts} attempt${webhookTest.attempts === 1 ? '' : 's'}).`
                  : `Failed after ${webhookTest.attempts} attempt${webhookTest.attempts === 1 ? '' : 's'}: ${webhookTest.error ?? 'no answer'}.`}
              </span>
            </p>
          ) : null}
        </div>
        <div className="field stale-field">
          <label htmlFor={`${uid}-stale`}>Alert when no successful backup for</label>
          <div className="input-row stale-row">
            <input
              id={`${uid}-stale`}
              type="number"
              inputMode="numeric"
              min={1}
              max={24 * 365}
              value={stale}
              disabled={busy}
              onChange={(e) => setStale(e.target.value)}
              placeholder="off"
              aria-invalid={!staleValid}
              aria-describedby={`${uid}-stale-hint`}
            />
            <span className="unit">hours</span>
          </div>
          <p id={`${uid}-stale-hint`} className={staleValid ? 'hint' : 'hint text-err'}>
            {staleValid ? 'Leave empty for no alert. The alert is sent even when nothing ran at all (at most once per period).' : 'A whole number of hours from 1 to 8760, or empty for no alert.'}
          </p>
        </div>
        {dirty ? (
          <div className="form-actions schedule-actions">
            <span className="muted">Unsaved changes</span>
            <button type="submit" className="btn btn-primary" disabled={busy || !staleValid} aria-busy={busy}>
              Save notifications
            </button>
          </div>
        ) : null}
      </form>

      <Toggle
        label="Desktop notifications"
        checked={view.notify.desktop}
        disabled={busy}
        onChange={(on) => toggle({ desktop: on }, on ? 'Desktop notifications on.' : 'Desktop notifications off.')}
        help="A notification on this computer when a scheduled backup or drill fails."
      />
      <div className="desktop-test">
        <button type="button" className="btn btn-sm" onClick={() => void testDesktop()}>
          <Icon name="play" />
          Test desktop notification
        </button>
        {desktopSent ? (
          <p className="status-ok" role="status">
            <Icon name="check" />
            <span>Sent. If nothing appeared, allow notifications for Lifeboat in the system settings.</span>
          </p>
        ) : null}
      </div>
      <Toggle
        label="Notify on success too"
        checked={view.notify.onSuccess}
        disabled={busy}
        onChange={(on) => toggle({ onSuccess: on }, on ? 'Successes will be notified too.' : 'Only failures will be notified.')}
        help="Off: you hear only about failures and stale backups. On: every scheduled backup and drill is reported."
      />
      {error ? <ErrorMessage error={error} title="Notifications" /> : null}
    </div>
  );
}
