// Secrets: a password-protected PostgreSQL server and a passphrase-encrypted archive go through
// backup, restore and drill — by the CLI, by the engine, by the IPC dispatcher the renderer talks
// to, and once in Chromium — including failures that happen next to a secret (wrong server
// password, wrong passphrase). SSH secrets and an S3 destination's secret access key go through
// the CLI, the engine and IPC too, each with a wrong one (the S3 lab checks every request's
// signature). Then every secret (and the wrong ones) is searched for, raw and encoded, in: every
// file under the data directories, the backup folders (sidecars, reports, the archives' bytes and
// their decrypted contents), what is left in the temp folder, every CLI stdout/stderr, every error
// and ErrorInfo, every IPC result and event, the page's DOM, input values and storage, every
// request the S3 store saw and what its bucket holds, and — sampled every 20 ms by a separate
// process — the argv of every process on the machine and the environment of every child. Zero
// hits expected; the search itself is proved on planted secrets first.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { readTar } from '../../main/engine/archive/tar-reader.ts';
import { openAge } from '../../main/engine/crypto/age-decrypt.ts';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { toErrorInfo } from '../../main/engine/errors.ts';
import { createEngine } from '../../main/engine/index.ts';
import type { Job } from '../../main/engine/jobs/job.ts';
import { openSecretStore } from '../../main/engine/secrets/keychain-store.ts';
import type { SecretStore } from '../../main/engine/secrets/secret-store.ts';
import type { EventChannel, InvokeChannel, JobOutcome } from '../../main/ipc/contract.ts';
import { createDispatcher, createHandlers, type ShellPorts } from '../../main/ipc/handlers.ts';
import { openApp, type E2EApp } from '../support/e2e-bridge.ts';
import { createTestEngine, readAllFiles, REPO_ROOT, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, stopAllClusters, type Cluster } from '../support/pg-cluster.ts';
import { addCliProfile, engineLeftovers, isolateTmp, lifeboat, type CliResult } from '../support/restore-fixtures.ts';
import { startS3Lab } from '../support/s3-lab.ts';
import { sshLabSupported, startSshLab } from '../support/ssh-lab.ts';
import { FULL_TIER, forTier } from './fault-tier.ts';

// --- the secrets and every form they are searched in -------------------------------------------

const core = () => randomBytes(8).toString('hex');
/** Each has a random 16-hex core (found in any encoding that keeps letters and digits) plus characters that encodings change. */
const SECRETS = {
  password: `Pw:${core()}/@+ %x`,
  passphrase: `pp ${core()} horse/battery+staple`,
  wrongPassword: `Wpw:${core()}@/`,
  wrongPassphrase: `wpp ${core()} not+it/`,
  /** A webhook's token, as Slack and Discord put it in the URL's path. */
  webhookToken: `T0${core()}B0`,
  /** The SSH login password of the lab's sshd, a key's passphrase, and a wrong SSH password. */
  sshPassword: `Ssh:${core()}/@+ %`,
  sshPassphrase: `kp ${core()} ssh/key+`,
  wrongSshPassword: `Wssh:${core()}@/`,
  /** An S3 secret access key (only ever the key of the SigV4 HMAC, never on the wire; real ones hold '/' and '+'), and a wrong one. */
  s3Secret: `S3/${core()}+sk/Q+`,
  wrongS3Secret: `W3+${core()}/no+`,
};
type SecretName = keyof typeof SECRETS | 'canary';
/** Planted on purpose by the sampler's self-check; never part of the zero-hit assertion. */
const CANARY = `canary-${core()}-${core()}`;
const PASSPHRASE_VAR = 'LB_SECRETS_TEST_PASSPHRASE';
const SSH_SECRET_VAR = 'LB_SECRETS_TEST_SSH';
const S3_SECRET_VAR = 'LB_SECRETS_TEST_S3';
/** Per test: the full tier restores a bigger database several more times. */
const TIMEOUT = forTier(180_000, 600_000);

interface Needle {
  secret: SecretName;
  form: string;
  bytes: Buffer;
}

/** The base64 characters that depend only on `value`, when it starts `shift` bytes into a 3-byte group. */
function base64Inner(value: Buffer, shift: number, encoding: 'base64' | 'base64url'): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), value]).toString(encoding);
  return encoded.slice(shift ? 4 : 0, Math.floor((shift + value.length) / 3) * 4);
}

function needlesOf(secret: SecretName, value: string): Needle[] {
  const raw = Buffer.from(value);
  const forms: [string, string | Buffer][] = [
    ['raw', value],
    ['core', /[0-9a-f]{16}/.exec(value)![0]],
    ['uri-encoded', encodeURIComponent(value)],
    ['form-encoded', new URLSearchParams({ s: value }).toString().slice(2)],
    ['pgpass-escaped', value.replaceAll('\\', '\\\\').replaceAll(':', '\\:')],
    ['json-escaped', JSON.stringify(value).slice(1, -1)],
    ['hex', raw.toString('hex')],
    ['HEX', raw.toString('hex').toUpperCase()],
    ['utf16le', Buffer.from(value, 'utf16le')],
  ];
  for (const shift of [0, 1, 2]) {
    forms.push([`base64@${shift}`, base64Inner(raw, shift, 'base64')], [`base64url@${shift}`, base64Inner(raw, shift, 'base64url')]);
  }
  const unique = new Map<string, Needle>();
  for (const [form, data] of forms) {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (!unique.has(bytes.toString('hex'))) unique.set(bytes.toString('hex'), { secret, form, bytes });
  }
  return [...unique.values()];
}

const NEEDLES: Needle[] = (Object.entries(SECRETS) as [SecretName, string][]).flatMap(([name, value]) => needlesOf(name, value));
const CANARY_NEEDLES = needlesOf('canary', CANARY);

interface Hit {
  where: string;
  secret: SecretName;
  form: string;
  context: string;
}

function search(where: string, data: Buffer | string, needles: Needle[] = NEEDLES): Hit[] {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const hits: Hit[] = [];
  for (const needle of needles) {
    const at = bytes.indexOf(needle.bytes);
    if (at === -1) continue;
    const context = bytes.subarray(Math.max(0, at - 60), at + needle.bytes.length + 60).toString('utf8').replace(/[^\x20-\x7e]/g, '.');
    hits.push({ where, secret: needle.secret, form: needle.form, context });
  }
  return hits;
}

/** A value as text for searching: JSON (with every enumerable field), or an error's message, code, fix, stack and causes. */
function textOf(value: unknown): string {
  if (value instanceof Error) {
    const info = toErrorInfo(value);
    const cause = (value as { cause?: unknown }).cause;
    return JSON.stringify({ info, message: value.message, stack: value.stack, own: { ...value }, cause: cause === undefined ? null : textOf(cause) });
  }
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

// --- what is searched at the end ------------------------------------------------------------------

/** Outputs, errors, results and events, recorded as the operations run. */
const surfaces: { where: string; data: string | Buffer }[] = [];
function record(where: string, value: unknown): void {
  surfaces.push({ where, data: Buffer.isBuffer(value) ? value : textOf(value) });
}

async function settle<T>(where: string, promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    const value = await promise;
    record(`${where} → result`, value);
    return { ok: true, value };
  } catch (error) {
    record(`${where} → error`, error);
    return { ok: false, error };
  }
}

/** A job's progress events and its outcome, all recorded. */
async function runJob<R>(where: string, job: Job<R>) {
  const off = job.onProgress((progress) => record(`${where} → progress`, progress));
  try {
    return await settle(where, job.result);
  } finally {
    off();
  }
}

// --- the process sampler ------------------------------------------------------------------------

interface SamplerReport {
  ticks: number;
  durationMs: number;
  environReads: number;
  seen: Record<string, string[]>;
  hits: { pid: number; ppid: number | null; kind: 'argv' | 'environ'; secret: SecretName; form: string; name: string; argv: string }[];
  exemptHits: SamplerReport['hits'];
}

async function startSampler(needles: Needle[]): Promise<{ stop(): Promise<SamplerReport> }> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [path.join(import.meta.dirname, 'process-sampler.mjs'), '20'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout });
  const received: string[] = [];
  const waiters: (() => void)[] = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  lines.on('line', (line) => {
    received.push(line);
    waiters.splice(0).forEach((w) => w());
  });
  const next = async (): Promise<string> => {
    while (received.length === 0) {
      if (child.exitCode !== null) throw new Error(`the process sampler exited (${child.exitCode}): ${stderr}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return received.shift()!;
  };
  child.stdin.write(`${JSON.stringify({ needles: needles.map((n) => ({ secret: n.secret, form: n.form, base64: n.bytes.toString('base64') })), exemptEnviron: ['main/cli/bin.mjs'] })}\n`);
  expect(await next()).toBe('ready');
  return {
    async stop() {
      child.stdin.write('stop\n');
      return JSON.parse(await next()) as SamplerReport;
    },
  };
}

// --- fixtures -----------------------------------------------------------------------------------

/**
 * The real keychain, with Lifeboat's global accounts (its key, the backup passphrase) renamed for
 * this file, so other test files using the same keyring session are not disturbed.
 */
function isolatedKeychain(store: SecretStore): SecretStore {
  const rename = (account: string) => (account.startsWith('profile:') ? account : `${account}:secrets-test-${process.pid}`);
  return {
    storage: store.storage,
    status: () => store.status(),
    get: (account) => store.get(rename(account)),
    set: (account, secret) => store.set(rename(account), secret),
    delete: (account) => store.delete(rename(account)),
  };
}

const SHOP_SQL = `
CREATE TABLE public.customers (id int PRIMARY KEY, email text NOT NULL);
INSERT INTO public.customers SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 500) g;
CREATE TABLE public.events (id bigint PRIMARY KEY, payload text NOT NULL);
INSERT INTO public.events SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, ${forTier(20_000, 300_000)}) g;
`;

let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
let fixture: EngineFixture;
let secrets: SecretStore;
let cliHome: string;
let work: string;
let sampler: Awaited<ReturnType<typeof startSampler>>;
/** A webhook that always fails (500): failures are where a URL tends to be echoed. */
let hook: http.Server;
const hookUrl = () => `http://127.0.0.1:${(hook.address() as AddressInfo).port}/services/${SECRETS.webhookToken}`;
const archives: Record<'cli' | 'engine' | 'ipc' | 'ui', string> = { cli: '', engine: '', ipc: '', ui: '' };
const started = performance.now();

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-secrets-');
  hook = http.createServer((_, res) => res.writeHead(500).end());
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  sampler = await startSampler([...NEEDLES, ...CANARY_NEEDLES]);
  cluster = await startCluster(18, { password: SECRETS.password });
  await cluster.createDatabase('shop');
  await cluster.query(SHOP_SQL, [], 'shop');
  cliHome = path.join(tmp.dir, 'cli-home');
  work = path.join(tmp.dir, 'work');
  await mkdir(cliHome, { recursive: true });
  await mkdir(work, { recursive: true });
  secrets = isolatedKeychain(await openSecretStore());
  fixture = await createTestEngine({ secrets });
  if (process.env.LIFEBOAT_EXPECT_KEYCHAIN === '1') expect(fixture.engine.secrets.storage, fixture.engine.secrets.status().message).toBe('keychain');
  fixture.engine.settings.update({ backupFolder: path.join(work, 'app-backups') });
});

afterAll(async () => {
  await secrets?.delete('backup-passphrase').catch(() => {});
  await secrets?.delete('age-identity').catch(() => {});
  // Destinations keep their S3 secret keys in the keychain: remove them (and those entries).
  for (const destination of (await fixture?.engine.destinations.list().catch(() => [])) ?? []) await fixture.engine.destinations.remove(destination.id).catch(() => {});
  if (cliHome && existsSync(cliHome)) {
    // The CLI's profiles put their passwords in the keychain: remove them (and those entries).
    const cliEngine = await createEngine({ dataDir: cliHome }).catch(() => null);
    for (const destination of (await cliEngine?.destinations.list().catch(() => [])) ?? []) await cliEngine?.destinations.remove(destination.id).catch(() => {});
    for (const profile of (await cliEngine?.profiles.list()) ?? []) await cliEngine?.profiles.remove(profile.id).catch(() => {});
  }
  await fixture?.dispose();
  hook?.close();
  await stopAllClusters();
  await tmp?.restore();
});

// --- the tests ----------------------------------------------------------------------------------

describe('no secret leaks out of backup, restore and drill', () => {
  test('the search finds planted secrets in every form it looks for, in files and in processes', async () => {
    // Every needle of every secret, planted in a file in the data directory, is found by the file scan.
    for (const needle of NEEDLES) {
      const planted = Buffer.concat([Buffer.from('{"noise":"'), randomBytes(7), needle.bytes, Buffer.from('"}\n')]);
      const hits = search('planted', planted).filter((h) => h.secret === needle.secret);
      expect(hits.map((h) => h.form), `${needle.secret} planted as ${needle.form}`).toContain(needle.form);
    }
    // Encodings embedded at any alignment inside a longer encoded blob are still found.
    for (const prefix of [0, 1, 2, 5]) {
      const blob = Buffer.concat([randomBytes(prefix), Buffer.from(SECRETS.passphrase), randomBytes(4)]);
      expect(search('b64', blob.toString('base64')).some((h) => h.secret === 'passphrase' && h.form.startsWith('base64@'))).toBe(true);
      expect(search('b64url', blob.toString('base64url')).some((h) => h.secret === 'passphrase')).toBe(true);
    }
    const plantedFile = path.join(fixture.dataDir, 'planted.txt');
    await writeFile(plantedFile, `x=${encodeURIComponent(SECRETS.password)}\n`);
    const fileHits = (await readAllFiles(fixture.dataDir)).flatMap(({ file, content }) => search(file, content));
    expect(fileHits.map((h) => `${path.basename(h.where)}:${h.secret}:${h.form}`)).toContain('planted.txt:password:uri-encoded');
    await rm(plantedFile);

    // The sampler sees a canary in a child's argv and in a child's environment.
    const argvChild = spawn('sh', ['-c', 'sleep 3', CANARY]);
    const envChild = spawn('sleep', ['3'], { env: { PATH: process.env.PATH, LEAKED: CANARY } });
    await Promise.all([argvChild, envChild].map((c) => new Promise((resolve) => c.on('close', resolve))));
  });

  test('CLI: profile via --password-stdin, backup with --passphrase-env, restore, drills, failures', async () => {
    const env = { [PASSPHRASE_VAR]: SECRETS.passphrase };
    const wrongEnv = { [PASSPHRASE_VAR]: SECRETS.wrongPassphrase };
    const cli = async (args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliResult> => {
      const result = await lifeboat(cliHome, args, options);
      record(`lifeboat ${args.join(' ')} → exit ${result.code}, stdout`, result.stdout);
      record(`lifeboat ${args.join(' ')} → exit ${result.code}, stderr`, result.stderr);
      return result;
    };
    await addCliProfile(cliHome, 'src', cluster, 'shop');
    expect((await cli(['profile', 'test', 'src', '--json'])).code).toBe(0);

    const out = path.join(work, 'cli-backups');
    const backup = await cli(['backup', '--profile', 'src', '--out', out, '--passphrase-env', PASSPHRASE_VAR, '--json'], { env });
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    archives.cli = backup.json.archive;
    expect((await cli(['list', out, '--json'])).code).toBe(0);
    if (FULL_TIER) {
      expect((await cli(['inspect', archives.cli, '--passphrase-env', PASSPHRASE_VAR, '--json'], { env })).code).toBe(0);
      expect((await cli(['verify', archives.cli, '--full', '--passphrase-env', PASSPHRASE_VAR, '--json'], { env })).code).toBe(0);
    }

    const restored = await cli(['restore', archives.cli, '--profile', 'src', '--into', 'shop_cli', '--passphrase-env', PASSPHRASE_VAR, '--json'], { env });
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    const report = path.join(work, 'cli-drill-report.html');
    const embedded = await cli(['drill', archives.cli, '--scratch', 'embedded', '--report', report, '--passphrase-env', PASSPHRASE_VAR, '--json'], { env });
    expect(embedded.code, embedded.stderr).toBe(0);
    if (FULL_TIER) {
      const onServer = await cli(['drill', archives.cli, '--scratch-profile', 'src', '--passphrase-env', PASSPHRASE_VAR, '--json'], { env });
      expect(onServer.code, onServer.stderr).toBe(0);
      const key = generateAgeKeyPair();
      const parallel = await cli(['restore', archives.cli, '--profile', 'src', '--into', 'shop_cli_jobs', '--jobs', '2', '--passphrase-env', PASSPHRASE_VAR, '--json'], { env });
      expect(parallel.code, parallel.stderr).toBe(0);
      const replaced = await cli(['restore', archives.cli, '--profile', 'src', '--replace', 'shop_cli', '--yes', '--recipient', key.recipient, '--passphrase-env', PASSPHRASE_VAR, '--json'], { env });
      expect(replaced.code, replaced.stderr).toBe(0);
      expect((await cli(['preflight', archives.cli, '--profile', 'src', '--into', 'shop_cli_pf', '--passphrase-env', PASSPHRASE_VAR, '--json'], { env })).code).toBe(0);
    }
    await cli(['activity', '--json']);
    if (FULL_TIER) {
      await cli(['drill', 'history', '--json']);
      await cli(['profile', 'list', '--json']);
    }

    // Failures next to a secret: a wrong server password, a wrong passphrase.
    const bad = await cli(['profile', 'add', 'bad', '--url', cluster.url('shop'), '--password-stdin'], { stdin: SECRETS.wrongPassword });
    expect(bad.code, bad.stderr).toBe(0);
    const badTest = await cli(['profile', 'test', 'bad', '--json']);
    expect(badTest.code).not.toBe(0);
    expect(badTest.stdout + badTest.stderr).toMatch(/password/i);
    const badBackup = await cli(['backup', '--profile', 'bad', '--out', path.join(work, 'cli-bad'), '--passphrase-env', PASSPHRASE_VAR, '--json'], { env });
    expect(badBackup.code).toBe(1);
    expect(badBackup.stdout + badBackup.stderr).toMatch(/password/i);
    if (FULL_TIER) {
      const badTarget = await cli(['restore', archives.cli, '--profile', 'bad', '--into', 'shop_cli_bad', '--passphrase-env', PASSPHRASE_VAR, '--json'], { env });
      expect(badTarget.code).not.toBe(0);
      const wrongInspect = await cli(['inspect', archives.cli, '--passphrase-env', PASSPHRASE_VAR, '--json'], { env: wrongEnv });
      expect(wrongInspect.code).not.toBe(0);
      const wrongDrill = await cli(['drill', archives.cli, '--passphrase-env', PASSPHRASE_VAR, '--json'], { env: wrongEnv });
      expect(wrongDrill.code).not.toBe(0);
    }
    const wrongRestore = await cli(['restore', archives.cli, '--profile', 'src', '--into', 'shop_cli_wrong', '--passphrase-env', PASSPHRASE_VAR, '--json'], { env: wrongEnv });
    expect(wrongRestore.code).not.toBe(0);
    expect(wrongRestore.stdout + wrongRestore.stderr).toMatch(/passphrase/i);
    // A webhook (its token is a secret) set from stdin, listed, and failing in a scheduled run.
    expect((await cli(['schedule', 'set', '--profile', 'src', '--webhook-stdin', '--stale-hours', '1', '--json'], { stdin: hookUrl() })).code).toBe(0);
    expect((await cli(['schedule', 'list', '--json'])).code).toBe(0);
    expect([0, 1]).toContain((await cli(['run-due', '--json'])).code); // 1 when the stale alert's webhook failed
  }, TIMEOUT);

  test('engine: backup with a passphrase, restore, drill on a server scratch database, failures', async () => {
    const { engine } = fixture;
    const profile = { host: cluster.host, port: cluster.port, database: 'shop', user: 'postgres', sslmode: 'disable' as const, color: 'teal' as const };
    await settle('engine profiles.add', engine.profiles.add({ ...profile, name: 'eng', password: SECRETS.password }));
    await settle('engine profiles.test', engine.profiles.test('eng'));
    const backup = await runJob('engine backup', engine.backups.start({ profile: 'eng', outDir: path.join(work, 'engine-backups'), encryption: { kind: 'passphrase', passphrase: SECRETS.passphrase } }));
    expect(backup.ok && backup.value.sidecar.encryption).toBeTruthy();
    archives.engine = backup.ok ? backup.value.archive : '';
    const keys = { passphrases: [SECRETS.passphrase] };
    await settle('engine inspect', engine.restores.inspect(archives.engine, keys));
    await settle('engine preflight', engine.restores.preflight({ file: archives.engine, profile: 'eng', mode: 'new', database: 'shop_engine', keys }));
    const restored = await runJob('engine restore', engine.restores.start({ file: archives.engine, profile: 'eng', mode: 'new', database: 'shop_engine', keys }));
    expect(restored.ok).toBe(true);
    const drill = await runJob('engine drill (server scratch)', engine.drills.start({ file: archives.engine, scratch: { kind: 'profile', profile: 'eng' }, keys }));
    expect(drill.ok && drill.value.passed).toBe(true);
    if (FULL_TIER) await runJob('engine verify', engine.library.verify(archives.engine, 'full'));
    await settle('engine history', engine.drills.history({}));
    await settle('engine activity', engine.activity.list());

    await settle('engine profiles.add bad', engine.profiles.add({ ...profile, name: 'eng-bad', password: SECRETS.wrongPassword }));
    const badTest = await settle('engine profiles.test bad', engine.profiles.test('eng-bad'));
    expect(badTest.ok && !badTest.value.ok).toBe(true);
    expect((await runJob('engine backup bad', engine.backups.start({ profile: 'eng-bad', outDir: path.join(work, 'engine-bad'), encryption: { kind: 'passphrase', passphrase: SECRETS.passphrase } }))).ok).toBe(false);
    expect((await runJob('engine restore into bad', engine.restores.start({ file: archives.engine, profile: 'eng-bad', mode: 'new', database: 'shop_engine_bad', keys }))).ok).toBe(false);
    const wrongKeys = { passphrases: [SECRETS.wrongPassphrase] };
    expect((await settle('engine inspect wrong', engine.restores.inspect(archives.engine, wrongKeys))).ok).toBe(false);
    expect((await runJob('engine restore wrong', engine.restores.start({ file: archives.engine, profile: 'eng', mode: 'new', database: 'shop_engine_wrong', keys: wrongKeys }))).ok).toBe(false);
    const wrongDrill = await runJob('engine drill wrong', engine.drills.start({ file: archives.engine, scratch: { kind: 'profile', profile: 'eng' }, keys: wrongKeys }));
    expect(wrongDrill.ok && wrongDrill.value.passed).toBe(false);
    expect((await settle('engine profiles.update', engine.profiles.update((await engine.profiles.get('eng-bad')).id, { ...profile, name: 'eng-bad', password: SECRETS.wrongPassword }))).ok).toBe(true);
  }, TIMEOUT);

  test('IPC dispatcher: the same operations as the renderer makes them; every result and event recorded', async () => {
    const { engine } = fixture;
    const events: { channel: EventChannel; args: unknown[] }[] = [];
    const shell: ShellPorts = {
      appVersion: '0.0.0-test',
      chooseFile: async () => null,
      chooseFolder: async () => null,
      chooseSaveFile: async () => null,
      confirm: async () => true,
      revealInFolder: () => {},
      openPath: () => {},
      notify: (title, body) => record('notification', `${title}: ${body}`),
      runDueCommand: () => ({ executable: process.execPath, args: [path.join(REPO_ROOT, 'main/cli/bin.mjs')] }),
      emit: (channel, ...args) => {
        events.push({ channel, args });
        record(`event ${channel}`, args);
      },
    };
    const dispatch = createDispatcher(createHandlers(engine, shell));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const call = async (channel: InvokeChannel, ...args: unknown[]): Promise<any> => {
      const result = await dispatch(channel, args);
      record(`ipc ${channel} → ${result.ok ? 'ok' : 'error'}`, result);
      return result;
    };
    const finished = async (jobId: string): Promise<JobOutcome> => {
      for (let waited = 0; waited < 120_000; waited += 50) {
        const done = events.find((e) => e.channel === 'jobs:finished' && (e.args[0] as JobOutcome).jobId === jobId);
        if (done) return done.args[0] as JobOutcome;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`job ${jobId} did not finish`);
    };
    const profileInput = { host: cluster.host, port: cluster.port, database: 'shop', user: 'postgres', sslmode: 'disable', color: 'blue' };

    await call('app:info');
    expect((await call('keys:set-passphrase', SECRETS.passphrase)).ok).toBe(true);
    await call('settings:update', { encryptionMode: 'passphrase' });
    await call('keys:status');
    await call('settings:get');
    const added = await call('profiles:add', { ...profileInput, name: 'ipc', password: SECRETS.password });
    expect(added.ok).toBe(true);
    const id = added.value.id as string;
    await call('profiles:list');
    expect((await call('profiles:test', id, [])).value.ok).toBe(true);
    await call('profiles:duplicate', id);
    expect((await call('schedules:set', id, { notify: { webhookUrl: hookUrl() } })).ok).toBe(true);
    expect((await call('schedules:test-webhook', id)).value).toMatchObject({ ok: false, error: 'HTTP 500' });
    await call('schedules:list');
    // A URI with the password in it: the preview says only that there is one; the saved profile neither.
    const uri = { kind: 'uri', uri: `postgres://postgres:${encodeURIComponent(SECRETS.password)}@${cluster.host}:${cluster.port}/shop` };
    expect((await call('profiles:import-preview', uri)).value).toMatchObject([{ hasPassword: true }]);
    expect((await call('profiles:import-save', uri, 'ipc-imported')).ok).toBe(true);

    const backup = await finished((await call('backups:start', { profileId: id, encryption: 'settings' })).value.jobId);
    expect(backup.ok, textOf(backup)).toBe(true);
    archives.ipc = backup.ok && backup.kind === 'backup' ? (backup.value?.archive ?? '') : '';
    expect(backup.ok && backup.kind === 'backup' && backup.value?.sidecar.encryption).toMatchObject({ kind: 'passphrase' });
    await call('library:folders');
    await call('library:listing', {});
    await call('library:details', archives.ipc);
    if (FULL_TIER) expect((await finished((await call('library:verify', archives.ipc, 'full')).value.jobId)).ok).toBe(true);
    // The renderer types the passphrase to open a file; main gives nothing of it back.
    await call('restore:inspect', archives.ipc, { passphrase: SECRETS.passphrase });
    const request = { file: archives.ipc, profileId: id, mode: 'new', database: 'shop_ipc', passphrase: SECRETS.passphrase };
    await call('restore:preflight', request);
    expect((await finished((await call('restore:start', request)).value.jobId)).ok).toBe(true);
    const drill = await finished((await call('drills:start', { file: archives.ipc, scratch: 'embedded', passphrase: SECRETS.passphrase })).value.jobId);
    expect(drill.ok && drill.kind === 'drill' && drill.value?.passed, textOf(drill)).toBe(true);
    if (FULL_TIER) {
      const onServer = await finished((await call('drills:start', { file: archives.ipc, scratch: { profileId: id }, passphrase: SECRETS.passphrase })).value.jobId);
      expect(onServer.ok).toBe(true);
    }
    await call('drills:history', {});
    await call('activity:list', {});
    await call('jobs:active');
    await call('schedules:list');

    // Failures next to a secret.
    const bad = await call('profiles:add', { ...profileInput, name: 'ipc-bad', password: SECRETS.wrongPassword });
    const badTest = await call('profiles:test', bad.value.id, []);
    expect(badTest.ok && badTest.value.ok).toBe(false);
    expect((await finished((await call('backups:start', { profileId: bad.value.id, encryption: 'settings' })).value.jobId)).ok).toBe(false);
    expect((await call('restore:inspect', archives.ipc, { passphrase: SECRETS.wrongPassphrase })).ok).toBe(false);
    const wrong = { ...request, database: 'shop_ipc_wrong', passphrase: SECRETS.wrongPassphrase };
    expect((await call('restore:preflight', wrong)).ok).toBe(false);
    const wrongStart = await call('restore:start', wrong);
    if (wrongStart.ok) expect((await finished(wrongStart.value.jobId)).ok).toBe(false);
    const wrongDrill = FULL_TIER ? await call('drills:start', { file: archives.ipc, scratch: 'embedded', passphrase: SECRETS.wrongPassphrase }) : { ok: false };
    if (wrongDrill.ok) {
      const outcome = await finished(wrongDrill.value.jobId);
      expect(outcome.ok && outcome.kind === 'drill' && outcome.value?.passed).toBe(false);
    }
    // A profile edited with the wrong password, then the right one again.
    await call('profiles:update', bad.value.id, { ...profileInput, name: 'ipc-bad', password: SECRETS.password });
    await call('profiles:update', bad.value.id, { ...profileInput, name: 'ipc-bad', password: SECRETS.wrongPassword });
    await call('activity:list', {});
    expect(events.some((e) => e.channel === 'jobs:progress')).toBe(true);
  }, TIMEOUT);

  test('renderer in Chromium: a profile added in the UI, a backup; DOM, inputs, storage and bridge traffic', async () => {
    const app: E2EApp = await openApp({ engine: fixture.engine });
    const page: Page = app.page;
    const domSnapshots: string[] = [];
    const snapshot = async (label: string) => {
      const state = await page.evaluate(() => ({
        html: document.documentElement.outerHTML,
        text: document.body.innerText,
        inputs: Array.from(document.querySelectorAll('input, textarea, select')).map((e) => (e as HTMLInputElement).value),
        local: Object.fromEntries(Object.entries(localStorage)),
        session: Object.fromEntries(Object.entries(sessionStorage)),
        title: document.title,
      }));
      domSnapshots.push(label);
      record(`renderer ${label}`, state);
    };
    try {
      const dialog = () => page.getByRole('dialog');
      const visible = (locator: Locator, timeout = 15_000) => locator.first().waitFor({ state: 'visible', timeout });
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Connections', exact: true }).click();
      await page.getByRole('button', { name: 'Add connection' }).click();
      const form = dialog();
      await form.getByLabel('Name', { exact: true }).fill('UI');
      await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
      await form.getByLabel('Port', { exact: true }).fill(String(cluster.port));
      await form.getByLabel('Database', { exact: true }).fill('shop');
      await form.getByLabel('User', { exact: true }).fill('postgres');
      await form.getByLabel('Password', { exact: true }).fill(SECRETS.password);
      await form.getByLabel('SSL mode').selectOption('disable');
      await form.getByRole('button', { name: 'Save' }).click();
      await dialog().waitFor({ state: 'detached' });
      await snapshot('after saving the profile');
      const card = page.getByRole('article', { name: 'UI', exact: true });
      await card.getByRole('button', { name: 'Test connection' }).click();
      await visible(card.getByRole('region', { name: /Connected/ }));
      await snapshot('after testing the connection');
      // Editing shows an empty password field: the saved one never comes back.
      await card.getByRole('button', { name: 'Edit' }).click();
      expect(await dialog().getByLabel('Password', { exact: true }).inputValue()).toBe('');
      await snapshot('the edit dialog');
      await dialog().getByRole('button', { name: 'Cancel' }).click();
      await dialog().waitFor({ state: 'detached' });

      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Backups', exact: true }).click();
      const launcher = page.getByRole('region', { name: 'Back up a connection' });
      await launcher.getByLabel('Connection').selectOption({ label: 'UI — shop' });
      await launcher.getByRole('button', { name: 'Back up now' }).click();
      await visible(page.getByRole('region', { name: 'Backup of UI complete' }), 60_000);
      await snapshot('after the backup');
      const finished = app.traffic.find((t) => t.kind === 'event' && t.channel === 'jobs:finished');
      archives.ui = ((finished?.payload as [JobOutcome])?.[0] as { value?: { archive?: string } })?.value?.archive ?? '';
      expect(archives.ui).toMatch(/\.lifeboat$/);
      for (const screen of ['Restore', 'Drills', 'Schedules', 'Activity', 'Settings', 'Connections']) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: screen, exact: true }).click();
        await visible(page.getByRole('heading', { level: 1, name: screen }));
        await page.waitForLoadState('networkidle').catch(() => {});
        await snapshot(`the ${screen} screen`);
      }
      expect(app.traffic.filter((t) => t.kind === 'result').length).toBeGreaterThan(10);
      expect(app.traffic.some((t) => t.kind === 'event' && t.channel === 'jobs:progress')).toBe(true);
      for (const [i, t] of app.traffic.entries()) record(`bridge traffic #${i} ${t.kind} ${t.channel}`, t.payload);
    } finally {
      await app.close();
    }
  });

  // The SSH lab needs root (a network namespace, its own sshd): CI runs as root.
  test.skipIf(!sshLabSupported().ok)('SSH: a login password and a key passphrase through the CLI, the engine and IPC; a wrong SSH password', async () => {
    const lab = await startSshLab({ major: 18, keyPassphrase: SECRETS.sshPassphrase, password: SECRETS.sshPassword });
    try {
      const entry = lab.sshd[0]!;
      const ssh = `${lab.user}@127.0.0.1:${entry.outside!.port}`;
      const url = `postgres://postgres@${lab.cluster.host}:${lab.cluster.port}/postgres`;
      const cli = async (args: string[], secret: string): Promise<CliResult> => {
        const result = await lifeboat(cliHome, args, { env: { [SSH_SECRET_VAR]: secret, [PASSPHRASE_VAR]: SECRETS.passphrase }, stdin: lab.cluster.password });
        record(`lifeboat ${args.join(' ')} → exit ${result.code}, stdout`, result.stdout);
        record(`lifeboat ${args.join(' ')} → exit ${result.code}, stderr`, result.stderr);
        return result;
      };
      const add = (name: string, auth: string[], secret: string) =>
        cli(['profile', 'add', name, '--url', url, '--password-stdin', '--ssh', ssh, ...auth, '--ssh-password-env', SSH_SECRET_VAR, '--accept-host-key', entry.hostKeyFingerprint, '--json'], secret);
      expect((await add('ssh-pw', [], SECRETS.sshPassword)).code).toBe(0);
      expect((await add('ssh-key', ['--ssh-key', lab.keys.passphraseKey.file], SECRETS.sshPassphrase)).code).toBe(0);
      const wrong = await add('ssh-wrong', [], SECRETS.wrongSshPassword);
      expect(wrong.json.test.error.code).toBe('SSH_AUTH_FAILED');
      expect((await cli(['profile', 'test', 'ssh-key', '--json'], '')).code).toBe(0);
      const backup = await cli(['backup', '--profile', 'ssh-pw', '--out', path.join(work, 'ssh-backups'), '--passphrase-env', PASSPHRASE_VAR, '--json'], '');
      expect(backup.code, backup.stderr).toBe(0);
      expect((await cli(['backup', '--profile', 'ssh-wrong', '--out', path.join(work, 'ssh-bad'), '--passphrase-env', PASSPHRASE_VAR, '--json'], '')).code).toBe(1);
      await cli(['profile', 'list', '--json'], '');
      await cli(['activity', '--json'], '');

      // The engine, and the IPC the renderer uses, with the secrets given as sshSecrets.
      const { engine } = fixture;
      const base = { host: lab.cluster.host, port: lab.cluster.port, database: 'postgres', user: 'postgres', sslmode: 'disable' as const, color: 'teal' as const, password: lab.cluster.password };
      const hop = { host: '127.0.0.1', port: entry.outside!.port, user: lab.user, keepAliveSeconds: 30, jumps: [] };
      await settle('engine add ssh-pw', engine.profiles.add({ ...base, name: 'eng-ssh-pw', ssh: { ...hop, auth: 'password' }, sshSecrets: [SECRETS.sshPassword] }));
      await settle('engine add ssh-key', engine.profiles.add({ ...base, name: 'eng-ssh-key', ssh: { ...hop, auth: 'key', keyFile: lab.keys.passphraseKey.file }, sshSecrets: [SECRETS.sshPassphrase] }));
      await settle('engine add ssh-wrong', engine.profiles.add({ ...base, name: 'eng-ssh-wrong', ssh: { ...hop, auth: 'password' }, sshSecrets: [SECRETS.wrongSshPassword] }));
      expect((await settle('engine test ssh-pw', engine.profiles.test('eng-ssh-pw', { acceptHostKeys: [entry.hostKeyFingerprint] }))).ok).toBe(true);
      const job = await runJob('engine backup over ssh', engine.backups.start({ profile: 'eng-ssh-key', outDir: path.join(work, 'engine-ssh'), encryption: { kind: 'passphrase', passphrase: SECRETS.passphrase } }));
      expect(job.ok).toBe(true);
      expect((await runJob('engine backup over ssh, wrong password', engine.backups.start({ profile: 'eng-ssh-wrong', outDir: path.join(work, 'engine-ssh-bad'), encryption: { kind: 'passphrase', passphrase: SECRETS.passphrase } }))).ok).toBe(false);
      const shell = { appVersion: '0', chooseFile: async () => null, chooseFolder: async () => null, chooseSaveFile: async () => null, confirm: async () => true, revealInFolder: () => {}, openPath: () => {}, notify: () => {}, runDueCommand: () => ({ executable: process.execPath, args: [] }), emit: (channel: EventChannel, ...args: unknown[]) => record(`event ${channel}`, args) } satisfies ShellPorts;
      const dispatch = createDispatcher(createHandlers(engine, shell));
      for (const [channel, args] of [['profiles:list', []], ['profiles:test', [(await engine.profiles.get('eng-ssh-key')).id, []]], ['profiles:test', [(await engine.profiles.get('eng-ssh-wrong')).id, []]]] as [InvokeChannel, unknown[]][]) {
        record(`ipc ${channel}`, await dispatch(channel, args));
      }
      await settle('engine activity', engine.activity.list());
    } finally {
      await lab.stop();
    }
  }, TIMEOUT);

  test('S3: a destination\'s secret access key through the CLI, the engine and IPC; a wrong secret key', async () => {
    // The proxy checks every request's SigV4 signature against the right secret: a wrong one gets 403 SignatureDoesNotMatch.
    const lab = await startS3Lab({ secretAccessKey: SECRETS.s3Secret });
    try {
      lab.faults.verifySignatures(true);
      const cli = async (args: string[], env: NodeJS.ProcessEnv = {}, stdin?: string): Promise<CliResult> => {
        const result = await lifeboat(cliHome, args, { env: { [S3_SECRET_VAR]: '', ...env }, ...(stdin !== undefined ? { stdin } : {}) });
        record(`lifeboat ${args.join(' ')} → exit ${result.code}, stdout`, result.stdout);
        record(`lifeboat ${args.join(' ')} → exit ${result.code}, stderr`, result.stderr);
        return result;
      };
      const passphraseEnv = { [PASSPHRASE_VAR]: SECRETS.passphrase };
      const addDestination = (name: string, prefix: string, secret: string) =>
        cli(['destination', 'add', name, '--profile', 'cli-s3', '--s3', `s3://${lab.bucket}/${prefix}`, '--endpoint', lab.endpoint, '--path-style', '--access-key-id', lab.accessKeyId, '--secret-key-env', S3_SECRET_VAR, '--json'], { [S3_SECRET_VAR]: secret });

      // CLI: a profile, a destination with the secret from a claimed variable, a backup that copies there, the remote listing and verification.
      const profileAdded = await cli(['profile', 'add', 'cli-s3', '--url', cluster.url('shop'), '--password-stdin', '--json'], {}, cluster.password);
      expect(profileAdded.code, profileAdded.stderr).toBe(0);
      const added = await addDestination('cli-offsite', 'cli/', SECRETS.s3Secret);
      expect(added.code, added.stderr).toBe(0);
      expect(added.json.destination).toMatchObject({ name: 'cli-offsite', secretSaved: true });
      const tested = await cli(['destination', 'test', 'cli-offsite']);
      expect(tested.code, tested.stdout + tested.stderr).toBe(0);
      const out = path.join(work, 's3-cli-backups');
      const backup = await cli(['backup', '--profile', 'cli-s3', '--out', out, '--passphrase-env', PASSPHRASE_VAR, '--json'], passphraseEnv);
      expect(backup.code, backup.stdout + backup.stderr).toBe(0);
      expect(backup.json.copies).toEqual([expect.objectContaining({ state: 'verified', destination: 'cli-offsite' })]);
      const archive = backup.json.archive as string;
      const listed = await cli(['list', '--destination', 'cli-offsite', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.json.archives).toEqual([expect.objectContaining({ name: path.basename(archive), local: true })]);
      expect((await cli(['list', '--destination', 'cli-offsite'])).code).toBe(0);
      const verified = await cli(['verify', `cli-offsite:${path.basename(archive)}`, '--json']);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      expect((await cli(['destination', 'list', '--json'])).code).toBe(0);
      expect((await cli(['destination', 'list'])).code).toBe(0);

      // CLI failures next to the secret: a destination saved with the wrong secret key; its test, a copy, a listing and a backup's copy fail.
      expect((await addDestination('cli-wrong', 'cli-wrong/', SECRETS.wrongS3Secret)).code).toBe(0);
      const wrongTest = await cli(['destination', 'test', 'cli-wrong', '--json']);
      expect(wrongTest.code).toBe(1);
      expect(wrongTest.json.error).toMatchObject({ code: 'S3_AUTH_FAILED' });
      expect((await cli(['destination', 'test', 'cli-wrong'])).code).toBe(1);
      const wrongCopy = await cli(['copy', archive, '--to', 'cli-wrong', '--json']);
      expect(wrongCopy.code).not.toBe(0);
      expect(wrongCopy.stdout + wrongCopy.stderr).toMatch(/S3_AUTH_FAILED/);
      expect((await cli(['copy', archive, '--to', 'cli-wrong'])).code).not.toBe(0);
      expect((await cli(['list', '--destination', 'cli-wrong', '--json'])).code).not.toBe(0);
      expect((await cli(['verify', `cli-wrong:${path.basename(archive)}`, '--json'])).code).not.toBe(0);
      const both = await cli(['backup', '--profile', 'cli-s3', '--out', out, '--passphrase-env', PASSPHRASE_VAR, '--json'], passphraseEnv);
      expect(both.json?.copies, both.stdout + both.stderr).toEqual(expect.arrayContaining([expect.objectContaining({ state: 'verified', destination: 'cli-offsite' }), expect.objectContaining({ state: 'failed', destination: 'cli-wrong', error: expect.objectContaining({ code: 'S3_AUTH_FAILED' }) })]));
      await cli(['list', out, '--json']);
      await cli(['list', out]);
      await cli(['destination', 'list', '--json']);
      // A destination added and removed again: its secret key leaves the keychain.
      expect((await addDestination('cli-gone', 'gone/', SECRETS.s3Secret)).code).toBe(0);
      expect((await cli(['destination', 'remove', 'cli-gone', '--json'])).code).toBe(0);
      await cli(['activity', '--json']);

      // The engine: the same, with the secret key given as DestinationInput.secretKey.
      const { engine } = fixture;
      const location = (prefix: string) => ({ endpoint: lab.endpoint, region: lab.region, bucket: lab.bucket, prefix, pathStyle: true, accessKeyId: lab.accessKeyId, partChecksums: true });
      /** Runs `work`, then waits for (and records) every job the engine started after it: the copies to the profile's destinations. */
      const withFollowUps = async (where: string, work: () => Promise<unknown>) => {
        const started: { job: Job<unknown>; destination: string }[] = [];
        const off = engine.followUps.onStarted((job, cause) => started.push({ job, destination: cause.destination ?? job.kind }));
        try {
          await work();
          await new Promise((resolve) => setImmediate(resolve));
        } finally {
          off();
        }
        const outcomes: Record<string, boolean> = {};
        for (const { job, destination } of started) outcomes[destination] = (await runJob(`${where} → follow-up ${job.kind} ${destination}`, job)).ok;
        return outcomes;
      };
      const profile = { host: cluster.host, port: cluster.port, database: 'shop', user: 'postgres', sslmode: 'disable' as const, color: 'teal' as const };
      expect((await settle('engine profiles.add eng-s3', engine.profiles.add({ ...profile, name: 'eng-s3', password: SECRETS.password }))).ok).toBe(true);
      expect((await settle('engine destinations.add', engine.destinations.add({ name: 'eng-offsite', profile: 'eng-s3', s3: location('engine/'), secretKey: SECRETS.s3Secret }))).ok).toBe(true);
      const engineTest = await settle('engine destinations.test', engine.destinations.test('eng-offsite'));
      expect(engineTest.ok && engineTest.value.ok, textOf(engineTest)).toBe(true);
      let engineArchive = '';
      const engineCopies = await withFollowUps('engine backup with a destination', async () => {
        const made = await runJob('engine backup with a destination', engine.backups.start({ profile: 'eng-s3', outDir: path.join(work, 'app-backups'), encryption: { kind: 'passphrase', passphrase: SECRETS.passphrase } }));
        engineArchive = made.ok ? made.value.archive : '';
      });
      expect(engineCopies).toEqual({ 'eng-offsite': true });
      expect((await runJob('engine copies.start', engine.copies.start({ file: engineArchive, destination: 'eng-offsite' }))).ok).toBe(true);
      const remote = await settle('engine copies.listRemote', engine.copies.listRemote('eng-offsite'));
      expect(remote.ok && remote.value.map((a) => a.name)).toEqual([path.basename(engineArchive)]);
      expect((await runJob('engine copies.verifyRemote', engine.copies.verifyRemote('eng-offsite', path.basename(engineArchive)))).ok).toBe(true);
      await settle('engine destinations.list', engine.destinations.list());
      await settle('engine destinations.get', engine.destinations.get('eng-offsite'));
      await settle('engine copies.states', engine.copies.states({ file: engineArchive }));

      expect((await settle('engine destinations.add wrong', engine.destinations.add({ name: 'eng-wrong', profile: 'eng-s3', s3: location('engine-wrong/'), secretKey: SECRETS.wrongS3Secret }))).ok).toBe(true);
      const engineWrongTest = await settle('engine destinations.test wrong', engine.destinations.test('eng-wrong'));
      expect(engineWrongTest.ok && engineWrongTest.value.error?.code).toBe('S3_AUTH_FAILED');
      const engineWrongCopy = await runJob('engine copies.start wrong', engine.copies.start({ file: engineArchive, destination: 'eng-wrong' }));
      expect(!engineWrongCopy.ok && toErrorInfo(engineWrongCopy.error).code).toBe('S3_AUTH_FAILED');
      expect((await settle('engine copies.listRemote wrong', engine.copies.listRemote('eng-wrong'))).ok).toBe(false);
      expect((await runJob('engine copies.verifyRemote wrong', engine.copies.verifyRemote('eng-wrong', path.basename(engineArchive)))).ok).toBe(false);
      await settle('engine copies.states after the failures', engine.copies.states({ file: engineArchive }));

      // IPC: a backup of the profile from the renderer copies to both destinations; then the destination channels.
      const events: { channel: EventChannel; args: unknown[] }[] = [];
      const shell = {
        appVersion: '0', chooseFile: async () => null, chooseFolder: async () => null, chooseSaveFile: async () => null, revealInFolder: () => {}, openPath: () => {},
        confirm: async (question: unknown) => {
          record('confirm dialog', question);
          return true;
        },
        notify: (title: string, body: string) => record('notification', `${title}: ${body}`),
        runDueCommand: () => ({ executable: process.execPath, args: [] }),
        emit: (channel: EventChannel, ...args: unknown[]) => {
          events.push({ channel, args });
          record(`event ${channel}`, args);
        },
      } satisfies ShellPorts;
      const dispatch = createDispatcher(createHandlers(engine, shell));
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const call = async (channel: InvokeChannel, ...args: unknown[]): Promise<any> => {
        const result = await dispatch(channel, args);
        record(`ipc ${channel} → ${result.ok ? 'ok' : 'error'}`, result);
        return result;
      };
      const finished = async (jobId: string): Promise<JobOutcome> => {
        for (let waited = 0; waited < 120_000; waited += 50) {
          const done = events.find((e) => e.channel === 'jobs:finished' && (e.args[0] as JobOutcome).jobId === jobId);
          if (done) return done.args[0] as JobOutcome;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`job ${jobId} did not finish`);
      };
      const profileId = (await engine.profiles.get('eng-s3')).id;
      await call('profiles:list');
      expect((await call('profiles:test', profileId, [])).value.ok).toBe(true);
      let ipcArchive = '';
      const ipcCopies = await withFollowUps('ipc backups:start', async () => {
        const outcome = await finished((await call('backups:start', { profileId, encryption: 'settings' })).value.jobId);
        ipcArchive = outcome.ok && outcome.kind === 'backup' ? (outcome.value?.archive ?? '') : '';
      });
      expect(ipcArchive).toMatch(/\.lifeboat$/);
      expect(ipcCopies).toEqual({ 'eng-offsite': true, 'eng-wrong': false });
      // The destinations screen: the secret key crosses from the page once (destinations:add, confirmed in main) and never comes back.
      const ipcAdded = await call('destinations:add', { name: 'ipc-offsite', profileId, s3: location('ipc/'), secretKey: SECRETS.s3Secret });
      expect(ipcAdded.ok && ipcAdded.value.secretSaved, textOf(ipcAdded)).toBe(true);
      const ipcWrong = await call('destinations:add', { name: 'ipc-wrong', profileId, s3: location('ipc-wrong/'), secretKey: SECRETS.wrongS3Secret });
      expect(ipcWrong.ok, textOf(ipcWrong)).toBe(true);
      const ipcGone = await call('destinations:add', { name: 'ipc-gone', profileId, s3: location('ipc-gone/'), secretKey: SECRETS.s3Secret });
      expect((await call('destinations:remove', ipcGone.value.id)).ok).toBe(true);
      await call('destinations:list', {});
      await call('destinations:list', { profileId });
      expect((await call('destinations:test', ipcAdded.value.id, [])).value.ok).toBe(true);
      expect((await call('destinations:test', ipcWrong.value.id, [])).value).toMatchObject({ ok: false, error: { code: 'S3_AUTH_FAILED' } });
      const copied = await call('copies:start', { file: ipcArchive, destinationId: ipcAdded.value.id });
      expect((await finished(copied.value.jobId)).ok).toBe(true);
      const wrongCopied = await call('copies:start', { file: ipcArchive, destinationId: ipcWrong.value.id });
      expect((await finished(wrongCopied.value.jobId)).ok).toBe(false);
      expect((await call('copies:listRemote', ipcAdded.value.id)).ok).toBe(true);
      expect((await call('copies:listRemote', ipcWrong.value.id)).ok).toBe(false);
      await call('copies:states', { file: ipcArchive });
      await call('copies:states', {});
      await call('jobs:active');
      await call('library:listing', {});
      await call('library:details', ipcArchive);
      await call('library:details', engineArchive);
      await call('activity:list', {});
      await call('profiles:list');
      await call('settings:get');
      expect(events.some((e) => e.channel === 'jobs:progress')).toBe(true);
      await settle('engine activity after S3', engine.activity.list());

      // What went over the wire (request headers, signatures included) and what the bucket holds (objects, their metadata).
      expect(lab.requests.filter((r) => r.status === 403).length, 'the wrong secret key was refused by signature checks').toBeGreaterThan(0);
      expect(lab.requests.filter((r) => r.operation === 'UploadPart' && r.status === 200).length).toBeGreaterThan(0);
      record('s3 lab: every request the store saw', lab.requests);
      const labDir = path.dirname(path.dirname(lab.objectFile('x')));
      const stored = await readAllFiles(labDir);
      expect(stored.some((f) => f.file.endsWith(`${path.basename(archive)}._S3rver_object`))).toBe(true);
      for (const { file, content } of stored) record(`s3 bucket storage ${path.relative(labDir, file)}`, content);
    } finally {
      await lab.stop();
    }
  }, TIMEOUT);

  test('zero hits: files, outputs, errors, IPC payloads, the renderer, argv and child environments', async () => {
    const report = await sampler.stop();
    const hits: Hit[] = [];

    // Files: both data directories, every backup folder and report, what is left in the temp folder.
    expect(await engineLeftovers(tmp.dir), 'temporary passfiles or decrypted files left behind').toEqual([]);
    // Left out: the test server's own folder, and the embedded scratch servers' template cluster
    // (initdb output with its own random password, made before any restore; drills copy it).
    const roots = (await readdir(tmp.dir, { withFileTypes: true })).filter((entry) => !/^lifeboat-(pg-|template-)/.test(entry.name));
    const files = (
      await Promise.all(roots.map(async (entry) => {
        const full = path.join(tmp.dir, entry.name);
        return entry.isDirectory() ? readAllFiles(full) : [{ file: full, content: await readFile(full) }];
      }))
    ).flat();
    const names = files.map((f) => path.relative(tmp.dir, f.file));
    expect(names).toContain(path.relative(tmp.dir, path.join(fixture.dataDir, 'profiles.json')));
    expect(names).toContain(path.relative(tmp.dir, path.join(cliHome, 'activity.jsonl')));
    expect(names.some((n) => n.endsWith('.lifeboat.json')), 'sidecars').toBe(true);
    expect(names.some((n) => n.endsWith('.html')), 'drill reports').toBe(true);
    for (const { file, content } of files) hits.push(...search(path.relative(tmp.dir, file), content));

    // Inside the archives: every file of the decrypted tar (manifest, globals, dump parts, checksums).
    for (const [via, archive] of Object.entries(archives)) {
      expect(archive, `the ${via} archive`).toMatch(/\.lifeboat$/);
      const entries: { name: string; data: Buffer[] }[] = [];
      await readTar(await openAge(createReadStream(archive) as AsyncIterable<Buffer>, { passphrases: [SECRETS.passphrase] }), {
        entry: (h) => void entries.push({ name: h.name, data: [] }),
        data: (chunk) => void entries.at(-1)!.data.push(Buffer.from(chunk)),
        entryEnd: () => {},
      });
      expect(entries.map((e) => e.name)).toContain('manifest.json');
      for (const entry of entries) hits.push(...search(`${path.basename(archive)} → ${entry.name}`, Buffer.concat(entry.data)));
    }

    // Outputs, errors, IPC results and events, renderer snapshots, bridge traffic.
    expect(surfaces.length).toBeGreaterThan(100);
    for (const surface of surfaces) hits.push(...search(surface.where, surface.data));

    // Processes: argv of everything, environment of every child (the CLI itself may hold its variable).
    const seen = Object.keys(report.seen);
    const scratch = (report.seen.postgres ?? []).some((argv) => argv.includes('lifeboat-scratch-'));
    console.info(
      `[secrets] sampler: ${report.ticks} ticks in ${(report.durationMs / 1000).toFixed(1)} s (${(report.durationMs / report.ticks).toFixed(0)} ms each), ` +
        `${report.environReads} environments read; tools seen: ${['pg_dump', 'pg_dumpall', 'pg_restore', 'psql', 'postgres'].filter((t) => seen.includes(t)).join(', ')}; ` +
        `embedded scratch postgres: ${scratch}; ${files.length} files, ${surfaces.length} outputs/payloads searched for ${NEEDLES.length} needles; ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s in all`,
    );
    for (const tool of ['pg_dump', 'pg_restore', 'psql', 'postgres']) expect(seen, `the sampler never saw ${tool}`).toContain(tool);
    expect(scratch, 'the sampler never saw an embedded scratch postgres').toBe(true);
    // The self-check children of the first test were caught, in argv and in the environment.
    const canary = report.hits.filter((h) => h.secret === 'canary');
    expect(canary.some((h) => h.kind === 'argv' && h.name === 'sh'), 'canary in argv').toBe(true);
    expect(canary.some((h) => h.kind === 'environ' && h.name === 'sleep'), 'canary in environ').toBe(true);
    const processHits = report.hits.filter((h) => h.secret !== 'canary');
    // The CLI holds the passphrase variable it was given; nothing else in it (argv) and no other process.
    const exemptOther = report.exemptHits.filter((h) => !['passphrase', 'wrongPassphrase', 'sshPassword', 'sshPassphrase', 'wrongSshPassword', 's3Secret', 'wrongS3Secret'].includes(h.secret));

    const lines = [
      ...hits.map((h) => `${h.secret} (${h.form}) in ${h.where}: …${h.context}…`),
      ...processHits.map((h) => `${h.secret} (${h.form}) in the ${h.kind} of pid ${h.pid} (parent ${h.ppid}) ${h.argv}`),
      ...exemptOther.map((h) => `${h.secret} (${h.form}) in the ${h.kind} of the CLI pid ${h.pid}: ${h.argv}`),
    ];
    expect(lines, 'secrets found').toEqual([]);
  });
});
