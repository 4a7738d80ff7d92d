// Notifications: desktop (through the host's port) and webhooks (JSON with a Slack-compatible
// "text"), retried with backoff; every attempt's outcome goes to the activity log.
import type { ActivityLog } from '../activity/activity-log.ts';

export interface DesktopNotifier {
  show(title: string, body: string): void;
}

export interface NotificationEvent {
  kind: 'backup-failed' | 'backup-succeeded' | 'drill-failed' | 'drill-succeeded' | 'stale' | 'test';
  profile: string | null;
  text: string;
  archive?: string | null;
  error?: string | null;
}

export interface WebhookResult {
  ok: boolean;
  attempts: number;
  status: number | null;
  error: string | null;
}

export async function postWebhook(url: string, event: NotificationEvent, options: { retries?: number; backoffMs?: number; fetchImpl?: typeof fetch } = {}): Promise<WebhookResult> {
  const retries = options.retries ?? 3;
  const backoff = options.backoffMs ?? 1000;
  const body = JSON.stringify({ text: event.text, event: event.kind, profile: event.profile, archive: event.archive ?? null, error: event.error ?? null, source: 'Lifeboat' });
  let last: WebhookResult = { ok: false, attempts: 0, status: null, error: null };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    try {
      const response = await (options.fetchImpl ?? fetch)(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
      last = { ok: response.ok, attempts: attempt, status: response.status, error: response.ok ? null : `HTTP ${response.status}` };
      if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 429)) return last;
    } catch (error) {
      last = { ok: false, attempts: attempt, status: null, error: (error as Error).message };
    }
    if (attempt <= retries) await new Promise((r) => setTimeout(r, backoff * 2 ** (attempt - 1)));
  }
  return last;
}

export class Notifications {
  readonly #desktop: DesktopNotifier | null;
  readonly #activity: ActivityLog;

  constructor(deps: { desktop: DesktopNotifier | null; activity: ActivityLog }) {
    this.#desktop = deps.desktop;
    this.#activity = deps.activity;
  }

  async send(event: NotificationEvent, targets: { webhookUrl: string | null; desktop: boolean }): Promise<WebhookResult | null> {
    if (targets.desktop) this.#desktop?.show(event.kind.endsWith('failed') || event.kind === 'stale' ? 'Lifeboat: attention needed' : 'Lifeboat', event.text);
    if (!targets.webhookUrl) return null;
    const result = await postWebhook(targets.webhookUrl, event);
    await this.#activity.add({
      what: 'notification',
      title: `Webhook for "${event.kind}" ${result.ok ? 'delivered' : 'failed'} after ${result.attempts} attempt(s)`,
      profile: event.profile,
      archive: event.archive ?? null,
      result: result.ok ? 'ok' : 'failed',
      durationMs: null,
      error: result.ok ? null : { code: 'CONNECTION_FAILED', message: `The webhook did not accept the notification: ${result.error}.`, fix: 'Check the webhook URL, then use "Send a test".' },
    });
    return result;
  }
}
