// Webhook URLs are secrets: Slack, Discord and Teams put the token in the path, others in the query
// or in user:password@. Everything Lifeboat shows or logs about a webhook goes through here, so only
// the origin and a harmless hint ("https://hooks.slack.com/services/…") ever leave the notifier.

/** A path's first segment is shown only when it is one of these generic words, never a token. */
const HARMLESS_FIRST_SEGMENTS = new Set(['api', 'hook', 'hooks', 'webhook', 'webhooks', 'services', 'workflows', 'triggers', 'notify', 'notifications', 'v1', 'v2', 'v3']);
/** Query keys are shown only when they look like a parameter name, not a value pasted as a key. */
const PLAIN_QUERY_KEY = /^[A-Za-z_-]{1,20}$/;
const ELIDED = '…';

/** The URL when it is an absolute http(s) URL, else null (and no error that would echo it). */
export function parseWebhookUrl(raw: string): URL | null {
  if (!URL.canParse(raw)) return null;
  const url = new URL(raw);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
}

/** "https://hooks.slack.com/services/…", "http://127.0.0.1:8080/…?token=…": no userinfo, no path secrets, no query values. */
export function redactWebhookUrl(raw: string | URL): string {
  const url = typeof raw === 'string' ? parseWebhookUrl(raw) : raw;
  if (!url) return '(not a valid http(s) URL)';
  return `${url.origin}${redactedPath(url.pathname)}${redactedQuery(url.searchParams)}`;
}

function redactedPath(pathname: string): string {
  const segments = pathname.split('/').filter(Boolean);
  if (!segments.length) return '/';
  const first = segments[0]!.toLowerCase();
  if (!HARMLESS_FIRST_SEGMENTS.has(first)) return `/${ELIDED}`;
  return segments.length === 1 ? `/${first}` : `/${first}/${ELIDED}`;
}

function redactedQuery(params: URLSearchParams): string {
  const keys = [...new Set(params.keys())];
  if (!keys.length) return '';
  return `?${keys.map((key) => (PLAIN_QUERY_KEY.test(key) ? `${key}=${ELIDED}` : ELIDED)).join('&')}`;
}

/** Scheme, host and port only: what a redirect target is described by. */
export function describeOrigin(url: URL): string {
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : `a ${url.protocol} address`;
}

/** Same scheme, host and port: the only redirect a webhook may follow (so never https → http). */
export function isSameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.host === b.host;
}

/**
 * fetch refuses URLs with user:password@ (and puts the whole URL in that error), so the credentials
 * travel as HTTP Basic auth, the way curl sends them, and the request URL carries none.
 */
export function splitCredentials(url: URL): { target: URL; authorization: string | null } {
  const target = withoutCredentials(url);
  if (!url.username && !url.password) return { target, authorization: null };
  const pair = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
  return { target, authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}

export function withoutCredentials(url: URL): URL {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy;
}

/**
 * Removes every secret part of the given URLs from a message: fetch and undici errors may quote a
 * URL whole; its origin may stay, its path, query and credentials may not.
 */
export function scrubWebhookSecrets(message: string, ...sources: (string | URL)[]): string {
  // The redacted form goes in through a placeholder so the piece-by-piece pass cannot mangle it.
  const placeholders: string[] = [];
  let text = message;
  for (const source of sources) {
    const url = typeof source === 'string' ? parseWebhookUrl(source) : source;
    for (const whole of new Set([String(source), url?.href ?? ''])) {
      if (whole.length < 3 || !text.includes(whole)) continue;
      placeholders.push(redactWebhookUrl(url ?? String(source)));
      text = text.split(whole).join(`\uE000${placeholders.length - 1}\uE001`);
    }
  }
  const pieces = sources.flatMap((source) => secretPieces(typeof source === 'string' ? parseWebhookUrl(source) : source));
  for (const piece of [...new Set(pieces)].sort((a, b) => b.length - a.length)) text = text.split(piece).join(ELIDED);
  return text.replace(/\uE000(\d+)\uE001/g, (_, index: string) => placeholders[Number(index)]!);
}

function secretPieces(url: URL | null): string[] {
  if (!url) return [];
  const pieces = [url.username, url.password];
  for (const segment of url.pathname.split('/')) if (!HARMLESS_FIRST_SEGMENTS.has(segment.toLowerCase())) pieces.push(segment);
  for (const [key, value] of url.searchParams) pieces.push(value, PLAIN_QUERY_KEY.test(key) ? '' : key);
  // Both spellings: a message may quote the percent-encoded or the decoded form.
  return [...new Set(pieces.flatMap((p) => [p, safeDecode(p)]))].filter((p) => p.length >= 3);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
