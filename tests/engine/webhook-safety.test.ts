// Webhooks against real loopback servers (two of them: two origins): a redirect to another origin is
// never followed, same-origin redirects are (a few), and no result, error, activity-log line or CLI
// text carries the secret parts of a webhook URL (userinfo, Slack-style path, ?token=).
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Values } from '../../main/cli/cli-command.ts';
import type { Output } from '../../main/cli/cli-output.ts';
import { SCHEDULE_COMMANDS } from '../../main/cli/commands/schedule-commands.ts';
import { ActivityLog } from '../../main/engine/activity/activity-log.ts';
import { createEngine, type Engine } from '../../main/engine/index.ts';
import { MAX_WEBHOOK_REDIRECTS, Notifications, postWebhook, type NotificationEvent } from '../../main/engine/notify/notifier.ts';
import { redactWebhookUrl, scrubWebhookSecrets } from '../../main/engine/notify/webhook-url.ts';
import type { ScheduleView } from '../../main/engine/schedule/schedule-service.ts';
import { SessionSecretStore, webhookAccount } from '../../main/engine/secrets/secret-store.ts';
import { createIsolatedKeychainEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { lifeboat } from '../support/restore-fixtures.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const servers: Receiver[] = [];

/** A loopback receiver that is closed after each test. */
async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const self = await startReceiver(answer);
  servers.push(self);
  return self;
}

function redirect(res: http.ServerResponse, status: number, location: string): void {
  res.writeHead(status, { location }).end(`moved to ${location}`);
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const event: NotificationEvent = { kind: 'backup-failed', profile: 'prod', text: 'Lifeboat: the backup of "prod" FAILED' };
const quick = { retries: 2, backoffMs: 5 };

describe('redactWebhookUrl', () => {
  it('keeps scheme://host[:port] and a harmless hint; drops userinfo, path secrets and query values', () => {
    expect(redactWebhookUrl('https://hooks.slack.com/services/T000/B000/XXXX')).toBe('https://hooks.slack.com/services/…');
    expect(redactWebhookUrl('https://discord.com/api/webhooks/1234/abcd')).toBe('https://discord.com/api/…');
    expect(redactWebhookUrl('https://user:pass@example.com:8443/hook?token=abc&channel=ops')).toBe('https://example.com:8443/hook?token=…&channel=…');
    expect(redactWebhookUrl('https://ntfy.sh/my-secret-topic')).toBe('https://ntfy.sh/…');
    expect(redactWebhookUrl('https://example.com/?A1B2C3SECRET')).toBe('https://example.com/?…');
    expect(redactWebhookUrl('https://example.com')).toBe('https://example.com/');
    expect(redactWebhookUrl('http://example.com:80/x#frag')).toBe('http://example.com/…');
    expect(redactWebhookUrl('ftp://user:secret@example.com/x')).toBe('(not a valid http(s) URL)');
    expect(redactWebhookUrl('not a url with secret')).toBe('(not a valid http(s) URL)');
  });
});

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])('a %i to another origin is not followed: the other server receives nothing, the result says why', async (status) => {
    const elsewhere = await receiver();
    const hook = await receiver((_, res) => redirect(res, status, `${elsewhere.origin}/collect?token=stolen-token`));
    const result = await postWebhook(`${hook.origin}/hook`, event, quick);
    expect(result).toEqual({ ok: false, attempts: 1, status, error: `the webhook redirected to another host (${elsewhere.origin}); Lifeboat does not send notifications there` });
    expect(hook.received).toHaveLength(1); // refused once, not retried
    expect(elsewhere.received).toEqual([]);
  });

  it('the same port on another host name ("localhost" for 127.0.0.1) is another origin', async () => {
    const hook = await receiver((req, res, self) => (req.url === '/hook' ? redirect(res, 307, `http://localhost:${self.port}/stolen`) : res.end()));
    const result = await postWebhook(`${hook.origin}/hook`, event, quick);
    expect(result.error).toBe(`the webhook redirected to another host (http://localhost:${hook.port}); Lifeboat does not send notifications there`);
    expect(hook.received.map((r) => r.url)).toEqual(['/hook']);
  });

  it('https never downgrades to http, even to the same host and port', async () => {
    const plain = await receiver();
    const secureOrigin = plain.origin.replace('http:', 'https:');
    // No TLS server here: a stand-in answers the https request; everything else is real fetch to loopback.
    const fetchImpl: typeof fetch = async (input, init) => (String(input).startsWith('https:') ? new Response(null, { status: 307, headers: { location: `${plain.origin}/hook` } }) : fetch(input, init));
    const result = await postWebhook(`${secureOrigin}/hook`, event, { ...quick, fetchImpl });
    expect(result).toMatchObject({ ok: false, attempts: 1, status: 307 });
    expect(result.error).toBe(`the webhook redirected from https to unencrypted http (${plain.origin}); Lifeboat does not send notifications there`);
    expect(plain.received).toEqual([]);
  });

  it.each([301, 302, 307, 308])('a same-origin %i is followed and the payload is posted there', async (status) => {
    const hook = await receiver((req, res) => (req.url === '/old' ? redirect(res, status, '/new?v=2') : res.end()));
    const result = await postWebhook(`${hook.origin}/old`, event, quick);
    expect(result).toEqual({ ok: true, attempts: 1, status: 200, error: null });
    expect(hook.received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /old', 'POST /new?v=2']);
    expect(JSON.parse(hook.received[1]!.body)).toMatchObject({ text: event.text, event: 'backup-failed', profile: 'prod', source: 'Lifeboat' });
  });

  it('an absolute same-origin redirect is followed too, then a redirect elsewhere still is not', async () => {
    const elsewhere = await receiver();
    const hook = await receiver((req, res, self) => (req.url === '/a' ? redirect(res, 308, `${self.origin}/b`) : redirect(res, 307, `${elsewhere.origin}/c`)));
    const result = await postWebhook(`${hook.origin}/a`, event, quick);
    expect(result.error).toMatch(/redirected to another host/);
    expect(hook.received.map((r) => r.url)).toEqual(['/a', '/b']);
    expect(elsewhere.received).toEqual([]);
  });

  it(`a redirect loop stops after ${MAX_WEBHOOK_REDIRECTS} redirects and is not retried`, async () => {
    const hook = await receiver((_, res) => redirect(res, 302, '/loop'));
    const result = await postWebhook(`${hook.origin}/loop`, event, quick);
    expect(result).toEqual({ ok: false, attempts: 1, status: 302, error: `the webhook redirected more than ${MAX_WEBHOOK_REDIRECTS} times (a redirect loop?); Lifeboat stopped following` });
    expect(hook.received).toHaveLength(MAX_WEBHOOK_REDIRECTS + 1);
  });
});

describe('webhook URL secrets', () => {
  const SECRETS = ['hookuser', 's3cr3t-pass', 'T0SECRET', 'B0SECRET', 'XXSECRETXX', 'tok-SECRET', 'stolen-token'];
  const secretPath = '/services/T0SECRET/B0SECRET/XXSECRETXX?token=tok-SECRET';
  const withSecrets = (origin: string): string => origin.replace('http://', 'http://hookuser:s3cr3t-pass@') + secretPath;

  function expectNoSecret(text: string): void {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  }

  it('credentials travel as Basic auth, and a failing webhook reports no secret in the result', async () => {
    const hook = await receiver((_, res) => res.writeHead(500).end());
    const result = await postWebhook(withSecrets(hook.origin), event, quick);
    expect(result).toMatchObject({ ok: false, attempts: 3, status: 500, error: 'HTTP 500' });
    expectNoSecret(JSON.stringify(result));
    // The secrets did reach the webhook, where they belong.
    expect(hook.received[0]!.url).toBe(secretPath);
    expect(hook.received[0]!.authorization).toBe(`Basic ${Buffer.from('hookuser:s3cr3t-pass').toString('base64')}`);
  });

  it('a refused connection says why, without the secrets', async () => {
    const gone = await receiver();
    await gone.close();
    const result = await postWebhook(withSecrets(gone.origin), event, { retries: 0 });
    expect(result.error).toMatch(/ECONNREFUSED/);
    expectNoSecret(JSON.stringify(result));
  });

  it('fetch errors that quote the URL are scrubbed (the real "includes credentials" error, and an undici-style cause)', async () => {
    const url = withSecrets('http://127.0.0.1:9');
    // Real fetch refuses to build a request from a URL with credentials, before any connection.
    const real = await fetch(url, { method: 'POST' }).then(() => '', (error: Error) => error.message);
    expect(real).toContain('s3cr3t-pass');
    const scrubbed = scrubWebhookSecrets(real, url);
    expectNoSecret(scrubbed);
    expect(scrubbed).toContain('http://127.0.0.1:9/services/…?token=…');

    const quoting: typeof fetch = async (input) => {
      throw new TypeError('fetch failed', { cause: new Error(`request to ${String(input)} failed, path ${decodeURIComponent(new URL(String(input)).pathname)}`) });
    };
    const result = await postWebhook(url, event, { retries: 0, fetchImpl: quoting });
    expect(result.error).toMatch(/^fetch failed: request to http:\/\/127\.0\.0\.1:9\/services\/…\?token=… failed/);
    expectNoSecret(JSON.stringify(result));
  });

  it('an invalid URL is not echoed back', async () => {
    const result = await postWebhook('hxxp://T0SECRET/XXSECRETXX', event, quick);
    expect(result).toEqual({ ok: false, attempts: 0, status: null, error: 'the webhook URL is not a valid http(s) URL' });
  });

  describe('what Lifeboat writes and prints', () => {
    let dataDir: string;
    let engine: Engine;

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-webhook-'));
      engine = await createEngine({ dataDir, secrets: new SessionSecretStore('test') });
      await engine.profiles.add({ name: 'db', host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue' });
    });
    afterAll(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    async function activityFile(): Promise<string> {
      return readFile(path.join(dataDir, 'activity.jsonl'), 'utf8');
    }

    it('"Send a test" (a 404, and a redirect elsewhere): the returned error and activity.jsonl hold only the redacted URL', async () => {
      const elsewhere = await receiver();
      const hook = await receiver((req, res) => (req.url!.startsWith('/redirect') ? redirect(res, 307, `${elsewhere.origin}/collect?token=stolen-token`) : res.writeHead(404).end()));
      await engine.schedules.set('db', { notify: { webhookUrl: withSecrets(hook.origin), onSuccess: false, desktop: false, staleHours: null } });
      const notFound = await engine.schedules.testWebhook('db');
      expect(notFound).toEqual({ ok: false, attempts: 1, error: 'HTTP 404' });

      await engine.schedules.set('db', { notify: { webhookUrl: withSecrets(hook.origin).replace('/services/', '/redirect/'), onSuccess: false, desktop: false, staleHours: null } });
      const refused = await engine.schedules.testWebhook('db');
      expect(refused.error).toMatch(/redirected to another host/);
      expectNoSecret(JSON.stringify([notFound, refused]));
      expect(elsewhere.received).toEqual([]);

      const log = await activityFile();
      expectNoSecret(log);
      const failures = (await engine.activity.list({ what: 'notification' })).map((e) => e.error?.message);
      expect(failures).toEqual([
        `The webhook at ${hook.origin}/…?token=… did not accept the notification: the webhook redirected to another host (${elsewhere.origin}); Lifeboat does not send notifications there.`,
        `The webhook at ${hook.origin}/services/…?token=… did not accept the notification: HTTP 404.`,
      ]);
    });

    it('Notifications.send logs a network failure (after its retries) without the secrets', async () => {
      const gone = await receiver();
      await gone.close();
      const activity = new ActivityLog({ dataDir, clock: { now: () => new Date() } });
      const result = await new Notifications({ desktop: null, activity }).send({ kind: 'test', profile: 'db', text: 'test' }, { webhookUrl: withSecrets(gone.origin), desktop: false });
      expect(result!.ok).toBe(false);
      const [entry] = await activity.list({ what: 'notification', limit: 1 });
      expect(entry!.error!.message).toMatch(/^The webhook at http:\/\/127\.0\.0\.1:\d+\/services\/…\?token=… did not accept the notification: fetch failed: .*ECONNREFUSED/);
      expectNoSecret(await activityFile());
    }, 30_000);

    it('the CLI shows the schedule with the redacted URL', async () => {
      let human = '';
      const out: Output = { json: false, result: (_, text) => (human = text()), note: () => {}, fail: () => 1 };
      await SCHEDULE_COMMANDS['schedule set']!.run({ engine, out, args: [], values: { profile: 'db', webhook: withSecrets('https://hooks.example.com') } as Values, entry: { bin: 'main/cli/bin.mjs', from: 'sources' } });
      expect(human).toContain('notify: webhook https://hooks.example.com/services/…?token=…');
      expectNoSecret(human);
    });
  });
});

describe('a webhook URL is kept like a password', () => {
  const url = (origin: string) => `${origin}/services/T0KEEP/B0KEEP/KEEPSECRET`;
  let fixture: EngineFixture;
  beforeAll(async () => {
    fixture = await createIsolatedKeychainEngine();
    await fixture.engine.profiles.add({ name: 'kept', host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue' });
  });
  afterAll(() => fixture?.dispose());
  const schedulesFile = () => readFile(path.join(fixture.engine.dataDir, 'schedules.json'), 'utf8');

  it('in the keychain, never in schedules.json or the view; "Send a test" reads it from there; removing it empties the keychain entry', async () => {
    const { engine } = fixture;
    const hook = await receiver();
    const view = await engine.schedules.set('kept', { notify: { webhookUrl: url(hook.origin) } });
    expect(view.notify).toEqual({ webhook: `${hook.origin}/services/…`, webhookStorage: engine.secrets.storage === 'keychain' ? 'keychain' : 'file', onSuccess: false, desktop: true, staleHours: null });
    expect(JSON.stringify(await engine.schedules.list())).not.toContain('KEEPSECRET');
    if (engine.secrets.storage === 'keychain') {
      expect(await schedulesFile()).not.toContain('KEEPSECRET');
      expect(await engine.secrets.get(webhookAccount(view.profileId))).toBe(url(hook.origin));
    }
    expect(await engine.schedules.testWebhook('kept')).toEqual({ ok: true, attempts: 1, error: null });
    expect(hook.received.map((r) => r.url)).toEqual(['/services/T0KEEP/B0KEEP/KEEPSECRET']);

    const removed = await engine.schedules.set('kept', { notify: { webhookUrl: null } });
    expect(removed.notify).toMatchObject({ webhook: null, webhookStorage: null });
    expect(await engine.secrets.get(webhookAccount(view.profileId))).toBeNull();
    await expect(engine.schedules.testWebhook('kept')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('a URL an older Lifeboat left in schedules.json moves into the keychain at the next look', async () => {
    const { engine } = fixture;
    if (engine.secrets.storage !== 'keychain') return expect(process.env.LIFEBOAT_EXPECT_KEYCHAIN).not.toBe('1');
    const file = path.join(engine.dataDir, 'schedules.json');
    const stored = JSON.parse(await schedulesFile()) as { schedules: { profileId: string; notify: Record<string, unknown> }[] };
    const legacy = 'https://hooks.example.com/services/OLD/LEGACYSECRET';
    stored.schedules[0]!.notify = { webhookUrl: legacy, onSuccess: false, desktop: true, staleHours: null };
    await writeFile(file, JSON.stringify(stored));
    const reopened = await createEngine({ dataDir: engine.dataDir, secrets: engine.secrets });
    const [view] = await reopened.schedules.list();
    expect(view!.notify).toMatchObject({ webhook: 'https://hooks.example.com/services/…', webhookStorage: 'keychain' });
    expect(await schedulesFile()).not.toContain('LEGACYSECRET');
    expect(await engine.secrets.get(webhookAccount(view!.profileId))).toBe(legacy);
  });

  it('a scheduled run that cannot reach the keychain says the webhook was not sent (and sends the rest), without the URL', async () => {
    const { engine } = fixture;
    if (engine.secrets.storage !== 'keychain') return expect(process.env.LIFEBOAT_EXPECT_KEYCHAIN).not.toBe('1');
    const hook = await receiver();
    await engine.schedules.set('kept', { notify: { webhookUrl: url(hook.origin), staleHours: 1 } });
    const headless = await createEngine({ dataDir: engine.dataDir, secrets: new SessionSecretStore('a cron job without a desktop session') });
    const runs = await headless.schedules.runDue();
    expect(runs.map((r) => [r.kind, r.result])).toEqual([['stale-alert', 'ok']]);
    expect(hook.received).toEqual([]);
    const [entry] = await headless.activity.list({ what: 'notification', limit: 1 });
    expect(entry!.error).toMatchObject({ code: 'KEYCHAIN', message: expect.stringMatching(/^The webhook of "kept" was not sent: its URL is in the OS keychain, which this run cannot reach \(No OS keychain is available \(a cron job without a desktop session\)/) });
    expect(await readFile(path.join(engine.dataDir, 'activity.jsonl'), 'utf8')).not.toContain('KEEPSECRET');
  });

  it('removing the profile removes its webhook from the keychain', async () => {
    const { engine } = fixture;
    const { id } = await engine.profiles.get('kept');
    await engine.schedules.set('kept', { notify: { webhookUrl: 'https://hooks.example.com/services/GONE' } });
    await engine.profiles.remove('kept');
    expect(await engine.secrets.get(webhookAccount(id))).toBeNull();
  });

  it('the CLI takes the URL from stdin (--webhook-stdin), warns about --webhook URL in the process list, and --no-webhook removes it', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-webhook-cli-'));
    const cli = (args: string[], stdin?: string) => lifeboat(home, args, stdin === undefined ? {} : { stdin });
    try {
      expect((await cli(['profile', 'add', 'hooked', '--url', 'postgres://postgres@127.0.0.1:5432/postgres'])).code).toBe(0);
      const set = await cli(['schedule', 'set', '--profile', 'hooked', '--webhook-stdin', '--json'], 'https://hooks.example.com/services/STDINSECRET\n');
      expect(set.code).toBe(0);
      expect((set.json as ScheduleView).notify.webhook).toBe('https://hooks.example.com/services/…');
      expect(set.stdout + set.stderr).not.toContain('STDINSECRET');
      const argv = await cli(['schedule', 'set', '--profile', 'hooked', '--webhook', 'https://hooks.example.com/services/ARGVSECRET']);
      expect(argv.stderr).toContain('where other users of this computer can see it in the process list. Prefer --webhook-stdin.');
      const none = await cli(['schedule', 'set', '--profile', 'hooked', '--no-webhook', '--json']);
      expect((none.json as ScheduleView).notify.webhook).toBeNull();
    } finally {
      await cli(['profile', 'remove', 'hooked']);
      await rm(home, { recursive: true, force: true });
    }
  }, 60_000);
});
