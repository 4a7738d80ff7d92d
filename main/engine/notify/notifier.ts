// Notifications: desktop (through the host's port) and webhooks (JSON with a Slack-compatible
// "text"), retried with backoff; every attempt's outcome goes to the activity log.
import type { ActivityLog } from '../activity/activity-log.ts';
import { describeOrigin, isSameOrigin, parseWebhookUrl, redactWebhookUrl, scrubWebhookSecrets, splitCredentials, withoutCredentials } from './webhook-url.ts';

export interface DesktopNotifier {
  show(title: string, body: string): void;
}

export interface NotificationEvent {
  kind: 'backup-failed' | 'backup-succeeded' | 'drill-failed' | 'drill-succeeded' | 'copy-failed' | 'stale' | 'test';
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

/** Same-origin redirects followed per attempt; more is a loop or a misconfiguration. */
export const MAX_WEBHOOK_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ATTEMPT_TIMEOUT_MS = 10_000;

interface WebhookRequest {
  /** What the user configured, only to scrub it out of error messages. */
  raw: string;
  target: URL;
  authorization: string | null;
  body: string;
  fetchImpl: typeof fetch;
}

/** One attempt's outcome; `retry: false` when asking again cannot help (a refused redirect, a 4xx). */
type AttemptOutcome = { ok: boolean; status: number | null; error: string | null; retry: boolean };

/**
 * Posts the event as JSON, retrying 5xx, 429 and network errors with backoff. Redirects are followed
 * only within the same origin, so the payload never reaches a host the user did not configure, and
 * no result or error carries more of the URL than redactWebhookUrl shows.
 */
export async function postWebhook(url: string, event: NotificationEvent, options: { retries?: number; backoffMs?: number; fetchImpl?: typeof fetch } = {}): Promise<WebhookResult> {
  const retries = options.retries ?? 3;
  const backoff = options.backoffMs ?? 1000;
  const parsed = parseWebhookUrl(url);
  if (!parsed) return { ok: false, attempts: 0, status: null, error: 'the webhook URL is not a valid http(s) URL' };
  const request: WebhookRequest = { raw: url, ...splitCredentials(parsed), body: webhookBody(event), fetchImpl: options.fetchImpl ?? fetch };
  let last: WebhookResult = { ok: false, attempts: 0, status: null, error: null };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    const outcome = await attemptDelivery(request);
    last = { ok: outcome.ok, attempts: attempt, status: outcome.status, error: outcome.error };
    if (outcome.ok || !outcome.retry) return last;
    if (attempt <= retries) await new Promise((r) => setTimeout(r, backoff * 2 ** (attempt - 1)));
  }
  return last;
}

function webhookBody(event: NotificationEvent): string {
  return JSON.stringify({ text: event.text, event: event.kind, profile: event.profile, archive: event.archive ?? null, error: event.error ?? null, source: 'Lifeboat' });
}

/** One POST, following at most MAX_WEBHOOK_REDIRECTS same-origin redirects. */
async function attemptDelivery(request: WebhookRequest): Promise<AttemptOutcome> {
  const signal = AbortSignal.timeout(ATTEMPT_TIMEOUT_MS);
  let target = request.target;
  let method = 'POST';
  for (let hop = 0; ; hop++) {
    let response: Response;
    try {
      response = await request.fetchImpl(target, { method, headers: requestHeaders(request, method), ...(method === 'POST' ? { body: request.body } : {}), redirect: 'manual', signal });
    } catch (error) {
      return { ok: false, status: null, error: describeFetchError(error, request, target), retry: true };
    }
    await discardBody(response);
    if (!REDIRECT_STATUSES.has(response.status)) return statusOutcome(response.status);
    if (hop >= MAX_WEBHOOK_REDIRECTS) return { ok: false, status: response.status, error: `the webhook redirected more than ${MAX_WEBHOOK_REDIRECTS} times (a redirect loop?); Lifeboat stopped following`, retry: false };
    const next = redirectTarget(target, response.headers.get('location'));
    if (typeof next === 'string') return { ok: false, status: response.status, error: next, retry: false };
    target = next;
    // 303 means "done, look over there": fetch semantics turn it into a GET without the payload.
    if (response.status === 303) method = 'GET';
  }
}

function requestHeaders(request: WebhookRequest, method: string): Record<string, string> {
  return { ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...(request.authorization ? { authorization: request.authorization } : {}) };
}

function statusOutcome(status: number): AttemptOutcome {
  const ok = status >= 200 && status < 300;
  const clientError = status >= 400 && status < 500 && status !== 429;
  return { ok, status, error: ok ? null : `HTTP ${status}`, retry: !ok && !clientError };
}

/** The next URL when the redirect stays on the same origin, else why Lifeboat refuses to follow it. */
function redirectTarget(current: URL, location: string | null): URL | string {
  if (!location || !URL.canParse(location, current.href)) return 'the webhook answered with a redirect but no usable address to go to';
  const next = new URL(location, current);
  if (current.protocol === 'https:' && next.protocol === 'http:') return `the webhook redirected from https to unencrypted http (${describeOrigin(next)}); Lifeboat does not send notifications there`;
  if (!isSameOrigin(current, next)) return `the webhook redirected to another host (${describeOrigin(next)}); Lifeboat does not send notifications there`;
  // Credentials in a Location header are the server's, not the user's: never pass them on.
  return withoutCredentials(next);
}

/** fetch says only "fetch failed"; the cause says why. Both may quote a URL, so both are scrubbed. */
function describeFetchError(error: unknown, request: WebhookRequest, target: URL): string {
  const err = error as { name?: string; message?: string; cause?: { message?: string } };
  if (err?.name === 'TimeoutError') return `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`;
  const cause = err?.cause?.message;
  const message = [err?.message ?? String(error), cause].filter(Boolean).join(': ');
  return scrubWebhookSecrets(message, request.raw, request.target, target).slice(0, 300);
}

/** Frees the connection; the body is never read or shown (a redirect body may echo the URL). */
async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
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
      // The redacted URL says which webhook without writing its secret into the log.
      error: result.ok ? null : { code: 'CONNECTION_FAILED', message: `The webhook at ${redactWebhookUrl(targets.webhookUrl)} did not accept the notification: ${result.error}.`, fix: 'Check the webhook URL, then use "Send a test".' },
    });
    return result;
  }
}
