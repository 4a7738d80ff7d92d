// `lifeboat profile …`: add (optionally through SSH), import, list, remove, test, databases — and host-key trust:
// an unknown SSH host key is shown as its fingerprint and trusted only by a person (an interactive
// prompt, or --accept-host-key with that exact fingerprint); without one, the command refuses.
// The SSH flags and the trust prompt serve SFTP destinations too (destination-commands.ts).
import { createInterface } from 'node:readline/promises';
import type { Engine } from '../../engine/index.ts';
import { visibleText } from '../../engine/name-text.ts';
import { parseConnectionUri } from '../../engine/profiles/profile-import.ts';
import { describeSshRoute } from '../../engine/tunnel/tunnel-service.ts';
import { describeScope } from '../../engine/profiles/database-scope.ts';
import type { ConnectionReport, ConnectionTestResult, DatabaseScope, ErrorInfo, PgTool, ProfileColor, ProfileSummary, SshHop, SshSettings, SslMode } from '../../engine/types.ts';
import type { Command, Values } from '../cli-command.ts';
import { formatBytes, readStdin, table, UsageError, type Output } from '../cli-output.ts';
import { passphraseFromEnv } from '../secret-env.ts';

/** The flags that choose which databases a profile backs up. */
const SCOPE_OPTIONS = ['all-databases', 'databases', 'exclude', 'include-postgres', 'include-templates'] as const;

export const PROFILE_COMMANDS: Record<string, Command> = {
  'profile add': {
    usage: 'profile add NAME --url postgres://USER@HOST:PORT/DB [--password-stdin] [--sslmode M] [--color C] [--all-databases [--exclude PATTERN]… [--include-postgres] [--include-templates] | --databases A,B,…] [--ssh USER@HOST[:PORT] [--ssh-key FILE | --ssh-agent] [--ssh-password-env VAR] [--ssh-jump USER@HOST[:PORT]]… [--accept-host-key SHA256:…]] [--json]',
    summary: 'save a connection profile (passwords go to the OS keychain); --all-databases or --databases back up several databases of the server in one run; with --ssh, HOST:PORT is the database as the SSH host sees it',
    options: ['url', 'password-stdin', 'sslmode', 'color', 'ssh', 'ssh-key', 'ssh-agent', 'ssh-password-env', 'ssh-jump', 'accept-host-key', ...SCOPE_OPTIONS],
    async run({ engine, out, args, values }) {
      const name = requireArg(args[0], 'NAME');
      const ssh = values.ssh ? sshFromFlags(values) : null;
      await addProfile(engine, out, name, values, ssh);
    },
  },
  'profile import': {
    usage: 'profile import (--pgpass [FILE] | --env | --ssh-config ALIAS --url postgres://USER@DBHOST:PORT/DB [--password-stdin] [--ssh-password-env VAR] [--accept-host-key SHA256:…]) [--name NAME] [--json]',
    summary: 'save profiles from ~/.pgpass lines, PG* environment variables, or an SSH route from ~/.ssh/config',
    options: ['pgpass', 'env', 'name', 'ssh-config', 'url', 'password-stdin', 'ssh-password-env', 'accept-host-key'],
    async run({ engine, out, values }) {
      if (values['ssh-config']) {
        // Loaded here only: the ssh-config parser is not needed by any other command.
        const { importSshConfig } = await import('../../engine/tunnel/ssh-config-import.ts');
        const ssh = await importSshConfig(values['ssh-config'], {});
        await addProfile(engine, out, values.name ?? values['ssh-config'], values, { ...ssh, secret: sshSecretFlag(values) });
        return;
      }
      if (!values.env && values.pgpass === undefined) throw new UsageError('profile import needs --env, --pgpass [FILE] or --ssh-config ALIAS');
      const source = values.env ? ({ kind: 'env' } as const) : ({ kind: 'pgpass', file: values.pgpass || undefined } as const);
      const saved = await engine.profiles.importAndSave(source, values.name ? { name: values.name } : {});
      for (const profile of saved) warnAboutSessionOnlyPassword(engine, out, profile);
      out.result({ profiles: saved }, () => saved.map((p) => `Saved profile "${visibleText(p.name)}" (${visibleText(describe(p))}).`).join('\n'));
    },
  },
  'profile scope': {
    usage: 'profile scope NAME (--all-databases [--exclude PATTERN]… [--include-postgres] [--include-templates] | --databases A,B,… | --one-database) [--json]',
    summary: 'choose which databases of the server the profile backs up: all (resolved at each run), a list, or only its own database',
    options: [...SCOPE_OPTIONS, 'one-database'],
    async run({ engine, out, args, values }) {
      const name = requireArg(args[0], 'NAME');
      const scope = values['one-database'] ? null : scopeFromFlags(values);
      if (scope === undefined) throw new UsageError('profile scope needs --all-databases, --databases A,B,… or --one-database');
      const profile = await engine.profiles.get(name);
      const { id: _id, createdAt: _c, updatedAt: _u, passwordEndpoint: _e, passwordStorage: _p, sshSecretsSaved: _s, ...fields } = profile;
      const saved = await engine.profiles.update(profile.id, { ...fields, scope });
      out.result({ profile: saved }, () => `The profile "${visibleText(saved.name)}" backs up ${visibleText(saved.scope ? describeScope(saved.scope) : `its database ${saved.database}`)}.`);
    },
  },
  'profile list': {
    usage: 'profile list [--json]',
    summary: 'list connection profiles',
    options: [],
    async run({ engine, out }) {
      const profiles = await engine.profiles.list();
      out.result({ profiles }, () =>
        profiles.length === 0
          ? 'No profiles yet. Add one with: lifeboat profile add NAME --url postgres://USER@HOST/DB --password-stdin'
          : table([['NAME', 'CONNECTION', 'DATABASES', 'SSL', 'PASSWORD'], ...profiles.map((p) => [p.name, `${p.user}@${p.host}:${p.port}/${p.database}${p.ssh ? ` ${describeSshRoute(p)}` : ''}`, p.scope ? describeScope(p.scope) : p.database, p.sslmode, p.passwordStorage])]),
      );
    },
  },
  'profile remove': {
    usage: 'profile remove NAME [--json]',
    summary: 'delete a profile and its saved passwords',
    options: [],
    async run({ engine, out, args }) {
      const name = requireArg(args[0], 'NAME');
      const profile = await engine.profiles.get(name);
      await engine.profiles.remove(profile.id);
      out.result({ removed: profile.name }, () => `Removed profile "${profile.name}" and its saved passwords.`);
    },
  },
  'profile test': {
    usage: 'profile test NAME [--accept-host-key SHA256:…]… [--pg-bin DIR] [--json]',
    summary: 'connect (through SSH when the profile says so), and report server version, size, each SSH hop and the pg_dump/pg_restore Lifeboat will use',
    options: ['pg-bin', 'accept-host-key'],
    async run({ engine, out, args, values }) {
      const name = requireArg(args[0], 'NAME');
      const result = await testTrustingHostKeys(engine, out, name, values['accept-host-key'] ?? []);
      if (!result.ok) {
        if (out.json) out.result(result, () => '');
        else out.note(`lifeboat: ${result.error.message}${result.error.fix ? ` Fix: ${result.error.fix}` : ''}`);
        process.exitCode = 1;
        return;
      }
      out.result(result, () => describeReport(result.report));
    },
  },
  'profile databases': {
    usage: 'profile databases NAME [--accept-host-key SHA256:…]… [--json]',
    summary: 'list the databases on the profile\'s server that its user may connect to (templates left out), through SSH when the profile says so',
    options: ['accept-host-key'],
    async run({ engine, out, args, values }) {
      const name = requireArg(args[0], 'NAME');
      const attempt = (accept: readonly string[]) => engine.profiles.databases(name, { acceptHostKeys: accept });
      const result = await trustingHostKeys(out, values['accept-host-key'] ?? [], attempt, (r) => (r.ok ? undefined : r.error));
      if (!result.ok) {
        if (out.json) out.result(result, () => '');
        else out.note(`lifeboat: ${result.error.message}${result.error.fix ? ` Fix: ${result.error.fix}` : ''}`);
        process.exitCode = 1;
        return;
      }
      out.result(result, () => (result.databases.length ? result.databases.join('\n') : 'No database on this server lets this user connect.'));
    },
  },
};

export type SshFlags = SshSettings & { secret: string | undefined };

/**
 * --ssh user@host[:port] (or `bastion`, e.g. the host of --sftp) with its jumps. Jump hosts log in
 * with the same key file (or the agent); a password is the bastion's alone, never sent to the jumps
 * (the app sets each hop apart).
 */
export function sshFromFlags(values: Values, bastion: { user: string; host: string; port: number } = parseHop(values.ssh!)): SshFlags {
  if (values['ssh-key'] && values['ssh-agent']) throw new UsageError('choose one of --ssh-key FILE and --ssh-agent');
  const auth: Pick<SshHop, 'auth' | 'keyFile'> = values['ssh-key']
    ? { auth: 'key', keyFile: values['ssh-key'] }
    : values['ssh-agent'] ? { auth: 'agent' } : values['ssh-password-env'] ? { auth: 'password' } : { auth: 'agent' };
  const jumpAuth: Pick<SshHop, 'auth' | 'keyFile'> = auth.auth === 'password' ? { auth: 'agent' } : auth;
  const jumps = (values['ssh-jump'] ?? []).map((text): SshHop => ({ ...parseHop(text), ...jumpAuth }));
  return { ...bastion, ...auth, jumps, keepAliveSeconds: 30, secret: sshSecretFlag(values) };
}

/**
 * The one secret the CLI takes, per hop: the bastion's password goes to the bastion only; a key's
 * passphrase to every hop that logs in with that same key file (it unlocks the file here, and is
 * never sent anywhere).
 */
export function secretsPerHop(ssh: SshFlags): (string | undefined)[] {
  const hops: SshHop[] = [...ssh.jumps, ssh];
  return hops.map((hop) => (hop === ssh || (ssh.auth === 'key' && hop.auth === 'key' && hop.keyFile === ssh.keyFile) ? ssh.secret : undefined));
}

function sshSecretFlag(values: Values): string | undefined {
  const variable = values['ssh-password-env'];
  return variable ? passphraseFromEnv(variable, 'the SSH password or key passphrase') : undefined;
}

/** user@host[:port], [user@]host, or user@[v6addr]:port. */
export function parseHop(text: string): { user: string; host: string; port: number } {
  const match = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!match) throw new UsageError(`"${text}" is not USER@HOST[:PORT]`);
  const user = match[1] ?? process.env.USER ?? process.env.USERNAME ?? '';
  return { user, host: match[2]!.replace(/^\[|\]$/g, ''), port: match[3] ? Number(match[3]) : 22 };
}

async function addProfile(engine: Engine, out: Output, name: string, values: Values, ssh: SshFlags | null): Promise<void> {
  if (!values.url) throw new UsageError(`profile ${ssh ? 'add/import' : 'add'} needs --url postgres://USER@HOST:PORT/DATABASE`);
  const parsed = parseConnectionUri(values.url, name);
  if (parsed.password !== null) out.note('lifeboat: warning: the password was given in the URL, where other users of this computer can see it in the process list. Prefer --password-stdin.');
  const scope = scopeFromFlags(values);
  const password = values['password-stdin'] ? await readStdin() : parsed.password;
  const { secret: _secret, ...sshSettings } = ssh ?? { secret: undefined };
  const profile = await engine.profiles.add({
    ...parsed.fields,
    name,
    ...(values.sslmode ? { sslmode: values.sslmode as SslMode } : {}),
    ...(values.color ? { color: values.color as ProfileColor } : {}),
    ...(ssh ? { ssh: sshSettings as SshSettings, sshSecrets: secretsPerHop(ssh) } : {}),
    ...(scope ? { scope } : {}),
    password,
  });
  warnAboutSessionOnlyPassword(engine, out, profile);
  if (!profile.ssh) {
    out.result({ profile, keychain: engine.secrets.status() }, () => `Saved profile "${profile.name}" (${describe(profile)}).`);
    return;
  }
  // Through SSH, the host keys are settled now, while a person is here to look at them.
  const test = await testTrustingHostKeys(engine, out, profile.id, values['accept-host-key'] ?? []);
  if (!test.ok && test.error.code.startsWith('SSH_HOST_KEY')) process.exitCode = 1;
  out.result({ profile, keychain: engine.secrets.status(), test }, () => [
    `Saved profile "${profile.name}" (${describe(profile)}).`,
    test.ok ? describeReport(test.report) : `It does not connect yet: ${test.error.message}${test.error.fix ? ` Fix: ${test.error.fix}` : ''}`,
  ].join('\n'));
}

/** Tests the profile, trusting host keys as trustingHostKeys does. */
function testTrustingHostKeys(engine: Engine, out: Output, name: string, accepted: readonly string[]): Promise<ConnectionTestResult> {
  return trustingHostKeys(out, accepted, (accept) => engine.profiles.test(name, { acceptHostKeys: accept }), (result) => (result.ok ? undefined : result.error));
}

/**
 * Runs `attempt` (a test that connects over SSH); an unknown host key is trusted when its
 * fingerprint was passed, or when the person at the terminal types "yes" after seeing it. Each hop
 * of a chain may ask in turn.
 */
export async function trustingHostKeys<R>(out: Output, accepted: readonly string[], attempt: (accept: readonly string[]) => Promise<R>, errorOf: (result: R) => ErrorInfo | undefined): Promise<R> {
  const accept = [...accepted];
  for (;;) {
    const result = await attempt(accept);
    const error = errorOf(result);
    const offer = error?.code === 'SSH_HOST_KEY_UNKNOWN' ? error.hostKey : undefined;
    if (!offer || accept.includes(offer.fingerprint) || !canAsk(out)) return result;
    if (!(await askToTrust(`${offer.host}:${offer.port}`, offer.keyType, offer.fingerprint))) return result;
    accept.push(offer.fingerprint);
  }
}

function canAsk(out: Output): boolean {
  return !out.json && Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY);
}

async function askToTrust(where: string, keyType: string, fingerprint: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    process.stderr.write(`The SSH host ${visibleText(where)} is not known yet.\nIts ${keyType} key fingerprint is ${fingerprint}.\nCompare it with the server's (ssh-keygen -lf /etc/ssh/ssh_host_${keyType.replace(/^ssh-|-.*$/g, '')}_key.pub on the server).\n`);
    const answer = await rl.question('Trust this host key? Type "yes" to trust it: ');
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

/** --all-databases [--exclude P]… or --databases a,b: the profile's scope; undefined when neither is given. */
function scopeFromFlags(values: Values): DatabaseScope | undefined {
  const all = values['all-databases'] === true;
  if (all && values.databases !== undefined) throw new UsageError('choose one of --all-databases and --databases A,B,…');
  if (!all && (values.exclude?.length || values['include-postgres'] || values['include-templates'])) throw new UsageError('--exclude, --include-postgres and --include-templates go with --all-databases');
  if (all) return { kind: 'all', exclude: values.exclude ?? [], includeMaintenance: values['include-postgres'] === true, includeTemplates: values['include-templates'] === true };
  if (values.databases !== undefined) return { kind: 'list', databases: values.databases.split(',').map((n) => n.trim()).filter(Boolean) };
  return undefined;
}

function requireArg(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

function warnAboutSessionOnlyPassword(engine: Engine, out: Output, profile: ProfileSummary): void {
  if (profile.passwordStorage === 'session') out.note(`lifeboat: warning: ${engine.secrets.status().message}`);
}

function describe(profile: ProfileSummary): string {
  const password = { keychain: 'password in the OS keychain', session: 'password kept for this session only', none: 'no password saved' }[profile.passwordStorage];
  const route = profile.ssh ? ` ${describeSshRoute(profile)}` : '';
  const scope = profile.scope ? `, backs up ${describeScope(profile.scope)}` : '';
  return `${profile.user}@${profile.host}:${profile.port}/${profile.database}${route}${scope}, sslmode ${profile.sslmode}, ${password}`;
}

function describeTool(tool: PgTool): string {
  return `${tool.name} ${tool.version} (${tool.source}) ${tool.path}`;
}

function describeReport(report: ConnectionReport): string {
  const route = report.tunnel
    ? [`SSH:        via ${report.tunnel.hops.map((h) => `${h.user}@${h.host}:${h.port} (${h.latencyMs} ms)`).join(' → ')} → ${report.tunnel.target}`]
    : [];
  return [
    `Connected to ${report.host}:${report.port}/${report.database} as ${report.user}${report.ssl ? ' over SSL' : ''} in ${report.latencyMs} ms`,
    ...route,
    `Server:     PostgreSQL ${report.serverVersion}`,
    `Database:   ${formatBytes(report.databaseSizeBytes)}`,
    `pg_dump:    ${describeTool(report.tools.pg_dump)}`,
    `pg_restore: ${describeTool(report.tools.pg_restore)}`,
  ].join('\n');
}
