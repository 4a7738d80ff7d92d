// Schedules (DST, catch-up, races), retention (GFS, never the newest proven, never while failing),
// notifications (webhook retries), and the OS job with a real crontab.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createEngine } from '../../main/engine/index.ts';
import { postWebhook } from '../../main/engine/notify/notifier.ts';
import { buckets, planRetention, type RetentionCandidate } from '../../main/engine/retention/retention-policy.ts';
import { tryLock } from '../../main/engine/schedule/profile-lock.ts';
import { crontabLine, launchdPlist, systemdUnits, windowsRunDueScript, windowsTaskXml } from '../../main/engine/schedule/os-job.ts';
import { dueSlot, nextRuns } from '../../main/engine/schedule/schedule-spec.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { NODE_BIN_DIR, REPO_ROOT } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const run = promisify(execFile);

describe('schedule times', () => {
  const daily = { preset: 'daily', time: '02:30', enabled: true } as const;
  it('fire once a day across DST changes, at a real local time', () => {
    // Europe/Berlin springs forward on 2026-03-29 (02:00 → 03:00) and falls back on 2026-10-25.
    const spring = nextRuns(daily, 'Europe/Berlin', new Date('2026-03-27T12:00:00Z'), 4).map((d) => d.toISOString());
    expect(spring).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
    // 02:30 happens twice on 2026-10-25 (CEST, then CET): it runs at the first, and only once.
    const autumn = nextRuns(daily, 'Europe/Berlin', new Date('2026-10-24T12:00:00Z'), 3).map((d) => d.toISOString());
    expect(autumn).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
    // New York falls back on 2026-11-01, so Sunday 01:00 happens twice that day: first one only.
    expect(nextRuns({ preset: 'weekly', weekday: 0, time: '01:00', enabled: true }, 'America/New_York', new Date('2026-11-01T00:00:00Z'), 2).map((d) => d.toISOString())).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-08T06:00:00.000Z']);
  });

  it('three missed daily runs give one catch-up slot (the latest)', () => {
    const slot = dueSlot(daily, 'UTC', new Date('2026-11-18T03:00:00Z'), new Date('2026-11-22T01:00:00Z'));
    expect(slot?.toISOString()).toBe('2026-11-21T02:30:00.000Z');
    expect(dueSlot(daily, 'UTC', new Date('2026-11-21T02:30:00Z'), new Date('2026-11-22T01:00:00Z'))).toBeNull();
  });

  it('refuses bad times and cron expressions with a fix', () => {
    expect(() => nextRuns({ preset: 'daily', time: '25:00', enabled: true }, 'UTC', new Date())).toThrow(/not a time of day/);
    expect(() => nextRuns({ preset: 'cron', cron: 'every day', enabled: true }, 'UTC', new Date())).toThrow(/not a valid cron expression/);
  });
});

describe('retention (GFS)', () => {
  /** A year of daily backups at 01:00 UTC, with a gap in March and some days with two backups. */
  function year(): RetentionCandidate[] {
    const archives: RetentionCandidate[] = [];
    for (let day = 0; day < 365; day++) {
      const date = new Date(Date.UTC(2026, 0, 1 + day, 1));
      if (date.getUTCMonth() === 2 && date.getUTCDate() >= 10 && date.getUTCDate() <= 20) continue; // machine off
      archives.push({ path: `/b/${date.toISOString()}.lifeboat`, createdAt: date.toISOString(), proven: false });
      if (day % 30 === 0) archives.push({ path: `/b/${date.toISOString()}-extra.lifeboat`, createdAt: new Date(date.getTime() + 3_600_000).toISOString(), proven: false });
    }
    return archives;
  }
  const policy = { keepLast: 0, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 0, keepMinimum: 3 };

  it.each([
    // 7 dailies (Dec 25–31); weekly adds W51 and W50 (W53, W52 already kept); monthly adds Jan–Nov.
    [{ ...policy }, 7 + 2 + 11],
    [{ ...policy, keepWeekly: 0, keepMonthly: 0 }, 7],
    [{ ...policy, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 1 }, 1 + 2],
    [{ ...policy, keepLast: 30, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }, 30],
  ])('keeps the newest archive of each period (%j → %i kept)', (p, expected) => {
    const plan = planRetention(year(), p, { timeZone: 'UTC' });
    const kept = plan.decisions.filter((d) => d.keep);
    expect(kept.length).toBe(expected);
    // Every kept daily is the newest of its day; every period has at most one kept archive per rule.
    for (const rule of ['daily', 'weekly', 'monthly'] as const) {
      const keys = kept.flatMap((d) => d.reasons.filter((r) => r.startsWith(rule)).map(() => buckets(d.createdAt, 'UTC')[rule]));
      expect(new Set(keys).size).toBe(keys.length);
    }
    const newestPerDay = new Map<string, string>();
    for (const a of year()) {
      const key = buckets(a.createdAt, 'UTC').daily;
      if (!newestPerDay.has(key) || newestPerDay.get(key)! < a.createdAt) newestPerDay.set(key, a.createdAt);
    }
    for (const d of kept.filter((k) => k.reasons.some((r) => r.startsWith('daily')))) expect(newestPerDay.get(buckets(d.createdAt, 'UTC').daily)).toBe(d.createdAt);
  });

  it('never deletes the newest verified or drilled archive, whatever the policy', () => {
    const archives = year();
    const proven = archives[100]!;
    proven.proven = true;
    for (const p of [{ ...policy, keepDaily: 1, keepWeekly: 0, keepMonthly: 0, keepMinimum: 0 }, { keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0, keepMinimum: 0 }]) {
      const decision = planRetention(archives, p, { timeZone: 'UTC' }).decisions.find((d) => d.path === proven.path)!;
      expect(decision).toMatchObject({ keep: true, reasons: expect.arrayContaining(['newest verified or drilled backup']) });
    }
  });

  it('counts each database of a whole-server run on its own: six archives a day are six dailies, and each keeps its newest proven one', () => {
    const days = Array.from({ length: 10 }, (_, i) => new Date(Date.UTC(2026, 10, 1 + i, 2)).toISOString());
    const databases = ['shop', 'crm', 'bulk'];
    const archives: RetentionCandidate[] = days.flatMap((at, i) => databases.map((db) => ({ path: `${db}-${i}`, createdAt: at, proven: db !== 'bulk' || i === 0, group: db })));
    const plan = planRetention(archives, { keepLast: 0, keepDaily: 7, keepWeekly: 0, keepMonthly: 0, keepYearly: 0, keepMinimum: 0 }, { timeZone: 'UTC' });
    for (const db of ['shop', 'crm']) expect(plan.decisions.filter((d) => d.keep && d.path.startsWith(`${db}-`)).map((d) => d.path)).toEqual([9, 8, 7, 6, 5, 4, 3].map((i) => `${db}-${i}`));
    // bulk's only proven archive is its oldest: kept, beside its seven dailies.
    expect(plan.decisions.filter((d) => d.keep && d.path.startsWith('bulk-')).map((d) => d.path)).toEqual([9, 8, 7, 6, 5, 4, 3, 0].map((i) => `bulk-${i}`));
    // Without groups, the same archives would keep one archive a day: the old behaviour for one database.
    const ungrouped = planRetention(archives.map(({ group: _g, ...a }) => a), { keepLast: 0, keepDaily: 7, keepWeekly: 0, keepMonthly: 0, keepYearly: 0, keepMinimum: 0 }, { timeZone: 'UTC' });
    expect(ungrouped.decisions.filter((d) => d.keep).length).toBeLessThan(10);
  });

  it('deletes nothing while the latest backups are failing', () => {
    const plan = planRetention(year(), { ...policy, keepDaily: 1, keepWeekly: 0, keepMonthly: 0 }, { timeZone: 'UTC', latestRunsFailing: 'the last backup failed' });
    expect(plan.blocked).toMatch(/failing/);
    expect(plan.decisions.every((d) => d.keep)).toBe(true);
  });
});

describe('locks and webhooks', () => {
  it('a stale lock of a dead process is taken over; a live one is respected', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-lock-'));
    await (await import('node:fs/promises')).mkdir(path.join(dir, 'locks'));
    await writeFile(path.join(dir, 'locks', 'p.lock'), JSON.stringify({ pid: 999_999, host: os.hostname(), at: '' }));
    const lock = await tryLock(dir, 'p');
    expect(lock).not.toBeNull();
    expect(await tryLock(dir, 'p')).toBeNull();
    await lock!.release();
    expect(await tryLock(dir, 'p')).not.toBeNull();
    await rm(dir, { recursive: true, force: true });
  });

  it('a webhook that first answers 500 gets the notification on a retry, with a Slack-compatible text', async () => {
    const bodies: string[] = [];
    let calls = 0;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        calls++;
        bodies.push(body);
        res.statusCode = calls === 1 ? 500 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    const result = await postWebhook(url, { kind: 'backup-failed', profile: 'prod', text: 'Lifeboat: the backup of "prod" FAILED' }, { backoffMs: 50 });
    server.close();
    expect(result).toMatchObject({ ok: true, attempts: 2, status: 200 });
    expect(JSON.parse(bodies[1]!)).toMatchObject({ text: 'Lifeboat: the backup of "prod" FAILED', event: 'backup-failed', profile: 'prod' });
  });
});

describe('the scheduler against a real server', () => {
  let cluster: Cluster;
  let home: string;
  const key = generateAgeKeyPair();
  let now = new Date('2026-11-18T12:00:00Z');
  const clock = { now: () => now };
  let hook: Receiver;

  beforeAll(async () => {
    cluster = await startCluster(18);
    await cluster.query('CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000)');
    home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-sched-'));
    hook = await startReceiver();
  });
  afterAll(async () => {
    await hook.close();
    await cluster.stop();
    await rm(home, { recursive: true, force: true });
  });

  // Two Lifeboat processes on one machine share the keychain: whichever wins the race must find the password.
  const secrets = new SessionSecretStore('test');
  async function engineAt(): Promise<Awaited<ReturnType<typeof createEngine>>> {
    const engine = await createEngine({ dataDir: home, secrets, clock });
    engine.settings.update({ extraRecipients: [key.recipient], timeZone: 'UTC', backupFolder: path.join(home, 'backups'), encryptionMode: 'recipients' });
    return engine;
  }

  it('missed runs catch up once; two racing runners run the job once; failures notify the webhook', async () => {
    const engine = await engineAt();
    await engine.profiles.add(clusterProfile(cluster, 'db'));
    const url = `${hook.origin}/`;
    await engine.schedules.set('db', { backup: { preset: 'daily', time: '01:00', enabled: true }, notify: { webhookUrl: url, onSuccess: false, desktop: false, staleHours: null } });
    expect((await engine.schedules.runDue())).toEqual([]);

    now = new Date('2026-11-22T00:30:00Z'); // three daily slots missed (19th, 20th, 21st)
    const other = await engineAt();
    const [a, b] = await Promise.all([engine.schedules.runDue(), other.schedules.runDue()]);
    const backups = [...a, ...b].filter((r) => r.kind === 'backup' && r.result === 'ok');
    expect(backups, JSON.stringify([a, b])).toHaveLength(1);
    expect((await readdir(path.join(home, 'backups'))).filter((n) => n.endsWith('.lifeboat'))).toHaveLength(1);
    expect(await engine.schedules.runDue()).toEqual([]);

    // A failing backup (wrong password) notifies the webhook, and prune deletes nothing then.
    await engine.profiles.update((await engine.profiles.get('db')).id, { name: 'db', host: cluster.host, port: cluster.port, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue', password: 'wrong' });
    now = new Date('2026-11-23T01:05:00Z');
    const failed = await engine.schedules.runDue();
    expect(failed).toEqual([expect.objectContaining({ kind: 'backup', result: 'failed', detail: expect.stringMatching(/Wrong password/) })]);
    await new Promise((r) => setTimeout(r, 200));
    expect(hook.received.some(({ body }) => /FAILED/.test(JSON.parse(body).text))).toBe(true);
    const prune = await engine.schedules.prune('db', { dryRun: false });
    expect(prune.blocked).toMatch(/failing/);
    expect(prune.deleted).toEqual([]);
    const activity = await engine.activity.list({ profile: 'db' });
    expect(activity.map((e) => `${e.what}:${e.result}`)).toEqual(expect.arrayContaining(['backup:ok', 'backup:failed', 'schedule:info']));
  });
});

describe('OS jobs', () => {
  const command = { executable: '/opt/node/bin/node', args: ['/opt/lifeboat/main/cli/bin.mjs'], dataDir: '/home/me/.config/Lifeboat' };
  it('writes a crontab line, systemd units, a launchd agent and a Task Scheduler task that run run-due every 5 minutes', () => {
    expect(crontabLine(command)).toBe("*/5 * * * * LIFEBOAT_HOME='/home/me/.config/Lifeboat' '/opt/node/bin/node' '/opt/lifeboat/main/cli/bin.mjs' run-due >> '/home/me/.config/Lifeboat/run-due.log' 2>&1 # lifeboat-run-due");
    const units = systemdUnits(command);
    expect(units.service).toContain('ExecStart=/opt/node/bin/node /opt/lifeboat/main/cli/bin.mjs run-due');
    expect(units.service).toContain('Environment="LIFEBOAT_HOME=/home/me/.config/Lifeboat"');
    expect(units.timer).toMatch(/OnUnitActiveSec=5min[\s\S]*Persistent=true/);
    const plist = launchdPlist(command);
    expect(plist).toMatch(/<key>StartInterval<\/key>\s*<integer>300<\/integer>/);
    expect(plist).toContain('<string>run-due</string>');
    const xml = windowsTaskXml('C:\\Users\\me\\AppData\\Roaming\\Lifeboat\\run-due.cmd', '2026-11-22T00:00:00', 'C:\\Windows');
    expect(xml).toContain('<Interval>PT5M</Interval>');
    expect(xml).toContain('<Command>C:\\Windows\\System32\\cmd.exe</Command>');
    expect(xml).toContain('<Arguments>/d /s /c &quot;&quot;C:\\Users\\me\\AppData\\Roaming\\Lifeboat\\run-due.cmd&quot;&quot;</Arguments>');
    const script = windowsRunDueScript({ executable: 'C:\\Program Files\\Lifeboat\\Lifeboat.exe', args: ['--cli'], dataDir: 'C:\\Users\\me\\AppData\\Roaming\\Lifeboat', env: { ELECTRON_RUN_AS_NODE: '1' } });
    expect(script.split('\r\n').slice(-4)).toEqual(['set "LIFEBOAT_HOME=C:\\Users\\me\\AppData\\Roaming\\Lifeboat"', 'set "ELECTRON_RUN_AS_NODE=1"', '"C:\\Program Files\\Lifeboat\\Lifeboat.exe" "--cli" run-due', '']);
  });

  it('lifeboat schedule install registers a real crontab line whose command makes a real archive; uninstall removes it', async () => {
    const cluster = await startCluster(17);
    const home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-osjob-'));
    const env = { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: home };
    const cli = path.join(REPO_ROOT, 'main/cli/bin.mjs');
    const before = await run('crontab', ['-l']).then((r) => r.stdout, () => '');
    try {
      const key = generateAgeKeyPair();
      const add = execFile(cli, ['profile', 'add', 'nightly', '--url', cluster.url('postgres'), '--password-stdin'], { env });
      add.stdin!.end(cluster.password);
      await new Promise((r) => add.on('exit', r));
      const engine = await createEngine({ dataDir: home, secrets: new SessionSecretStore('test') });
      engine.settings.update({ extraRecipients: [key.recipient], backupFolder: path.join(home, 'backups'), encryptionMode: 'recipients' });
      // A due slot: the schedule was set a day ago (injected clock), so 01:00 has passed since.
      const yesterday = await createEngine({ dataDir: home, secrets: new SessionSecretStore('test'), clock: { now: () => new Date(Date.now() - 86_400_000 * 2) } });
      await yesterday.schedules.set('nightly', { backup: { preset: 'hourly', enabled: true } });
      await run(cli, ['schedule', 'install'], { env });
      const table = (await run('crontab', ['-l'])).stdout;
      const line = table.split('\n').find((l) => l.includes('# lifeboat-run-due'))!;
      expect(line).toMatch(/^\*\/5 \* \* \* \* LIFEBOAT_HOME=/);
      expect((await run(cli, ['schedule', 'list', '--json'], { env })).stdout).toMatch(/"installed": true/);
      // Removed before the run: a cron daemon on this machine must not run the line meanwhile.
      await run(cli, ['schedule', 'uninstall'], { env });
      expect((await run('crontab', ['-l']).then((r) => r.stdout, () => ''))).not.toContain('lifeboat-run-due');
      // Cron has no desktop keychain: unattended jobs take the password from ~/.pgpass, as libpq does.
      await writeFile(path.join(home, '.pgpass'), `127.0.0.1:${cluster.port}:postgres:postgres:${cluster.password}\n`, { mode: 0o600 });
      // Run exactly what cron would run: the command after the five time fields, in a minimal environment.
      await run('sh', ['-c', line.replace(/^(\S+\s+){5}/, '').replace(/ # lifeboat-run-due$/, '')], { env: { PATH: '/usr/bin:/bin', HOME: home } }).catch(() => {});
      const archives = (await readdir(path.join(home, 'backups')).catch(() => [] as string[])).filter((n) => n.endsWith('.lifeboat'));
      const log = await (await import('node:fs/promises')).readFile(path.join(home, 'run-due.log'), 'utf8').catch(() => '(no log)');
      expect(archives, log).toHaveLength(1);
    } finally {
      if (before) await run('sh', ['-c', `printf %s "$T" | crontab -`], { env: { ...process.env, T: before } });
      else await run('crontab', ['-r']).catch(() => {});
      await cluster.stop();
      await rm(home, { recursive: true, force: true });
    }
  });
});
