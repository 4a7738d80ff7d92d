import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine, type Engine } from '../engine/index.ts';
import { visibleText } from '../engine/name-text.ts';
import { parseConnectionUri } from '../engine/profiles/profile-import.ts';
import type { ConnectionReport, PgTool, ProfileColor, ProfileSummary, SslMode } from '../engine/types.ts';
import { createOutput, formatBytes, readStdin, table, UsageError, type Output } from './cli-output.ts';
import { OPTIONS, type Command } from './cli-command.ts';
import { ARCHIVE_COMMANDS, claimPassphraseVariable } from './commands/archive-commands.ts';
import { RESTORE_COMMANDS } from './commands/restore-commands.ts';
import { DEMO_COMMANDS, DRILL_COMMANDS } from './commands/drill-commands.ts';
import { SCHEDULE_COMMANDS } from './commands/schedule-commands.ts';

const COMMANDS: Record<string, Command> = {
  ...ARCHIVE_COMMANDS,
  ...RESTORE_COMMANDS,
  ...DRILL_COMMANDS,
  ...DEMO_COMMANDS,
  ...SCHEDULE_COMMANDS,
  tools: {
    usage: 'tools [--pg-bin DIR] [--json]',
    summary: 'PostgreSQL client tools Lifeboat found, and the ones it picks',
    options: ['pg-bin'],
    async run({ engine, out }) {
      const report = await engine.tools.report();
      out.result(report, () => {
        if (report.tools.length === 0) return 'No PostgreSQL client tools found. Build the bundle with "npm run pg-tools".';
        const rows = [['TOOL', 'VERSION', 'SOURCE', 'PATH'], ...report.tools.map((t) => [t.name + (report.chosen[t.name] === t ? ' *' : ''), t.version, t.source, t.path])];
        return `${table(rows)}\n* the newest of each, used when the server version is not known yet`;
      });
    },
  },
  'profile add': {
    usage: 'profile add NAME --url postgres://USER@HOST:PORT/DB [--password-stdin] [--sslmode M] [--color C] [--json]',
    summary: 'save a connection profile (the password goes to the OS keychain)',
    options: ['url', 'password-stdin', 'sslmode', 'color'],
    async run({ engine, out, args, values }) {
      const name = requireArg(args[0], 'NAME');
      if (!values.url) throw new UsageError('profile add needs --url postgres://USER@HOST:PORT/DATABASE');
      const parsed = parseConnectionUri(values.url, name);
      if (parsed.password !== null) out.note('lifeboat: warning: the password was given in the URL, where other users of this computer can see it in the process list. Prefer --password-stdin.');
      const password = values['password-stdin'] ? await readStdin() : parsed.password;
      const profile = await engine.profiles.add({
        ...parsed.fields,
        ...(values.sslmode ? { sslmode: values.sslmode as SslMode } : {}),
        ...(values.color ? { color: values.color as ProfileColor } : {}),
        password,
      });
      warnAboutSessionOnlyPassword(engine, out, profile);
      out.result({ profile, keychain: engine.secrets.status() }, () => `Saved profile "${profile.name}" (${describe(profile)}).`);
    },
  },
  'profile import': {
    usage: 'profile import (--pgpass [FILE] | --env) [--name NAME] [--json]',
    summary: 'save profiles from ~/.pgpass lines or from PG* environment variables',
    options: ['pgpass', 'env', 'name'],
    async run({ engine, out, values }) {
      if (!values.env && values.pgpass === undefined) throw new UsageError('profile import needs --env or --pgpass [FILE]');
      const source = values.env ? ({ kind: 'env' } as const) : ({ kind: 'pgpass', file: values.pgpass || undefined } as const);
      const saved = await engine.profiles.importAndSave(source, values.name ? { name: values.name } : {});
      for (const profile of saved) warnAboutSessionOnlyPassword(engine, out, profile);
      out.result({ profiles: saved }, () => saved.map((p) => `Saved profile "${visibleText(p.name)}" (${visibleText(describe(p))}).`).join('\n'));
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
          : table([['NAME', 'CONNECTION', 'SSL', 'PASSWORD'], ...profiles.map((p) => [p.name, `${p.user}@${p.host}:${p.port}/${p.database}`, p.sslmode, p.passwordStorage])]),
      );
    },
  },
  'profile remove': {
    usage: 'profile remove NAME [--json]',
    summary: 'delete a profile and its saved password',
    options: [],
    async run({ engine, out, args }) {
      const name = requireArg(args[0], 'NAME');
      const profile = await engine.profiles.get(name);
      await engine.profiles.remove(profile.id);
      out.result({ removed: profile.name }, () => `Removed profile "${profile.name}" and its saved password.`);
    },
  },
  'profile test': {
    usage: 'profile test NAME [--pg-bin DIR] [--json]',
    summary: 'connect, and report server version, size and the pg_dump/pg_restore Lifeboat will use',
    options: ['pg-bin'],
    async run({ engine, out, args }) {
      const name = requireArg(args[0], 'NAME');
      const result = await engine.profiles.test(name);
      if (!result.ok) {
        if (out.json) out.result(result, () => '');
        else out.note(`lifeboat: ${result.error.message}${result.error.fix ? ` Fix: ${result.error.fix}` : ''}`);
        process.exitCode = 1;
        return;
      }
      out.result(result, () => describeReport(result.report));
    },
  },
  keychain: {
    usage: 'keychain [--json]',
    summary: 'whether passwords go to the OS keychain',
    options: [],
    async run({ engine, out }) {
      const status = engine.secrets.status();
      out.result(status, () => status.message);
    },
  },
};

export async function main(argv: string[]): Promise<number> {
  const out = createOutput(argv.includes('--json'));
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    if (values.version) {
      out.result({ version: packageVersion() }, () => `lifeboat ${packageVersion()}`);
      return 0;
    }
    const [commandName, args] = findCommand(positionals);
    if (values.help || !commandName) {
      if (!commandName && positionals.length > 0) throw new UsageError(`unknown command "${positionals.join(' ')}"`);
      process.stdout.write(helpText());
      return 0;
    }
    const command = COMMANDS[commandName]!;
    for (const option of Object.keys(values) as (keyof typeof OPTIONS)[]) {
      if (!['json', 'help', 'version', ...command.options].includes(option)) throw new UsageError(`"${commandName}" does not take --${option}. Usage: lifeboat ${command.usage}`);
    }
    // The passphrase variable leaves the environment before the engine exists: children never inherit it.
    claimPassphraseVariable(values['passphrase-env']);
    const engine = await createEngine({ toolsOverrideDir: values['pg-bin'] ?? process.env.LIFEBOAT_PG_BIN ?? null });
    await command.run({ engine, out, args, values });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) return out.fail(new UsageError(error.message));
    return out.fail(error);
  }
}

function findCommand(positionals: string[]): [string | null, string[]] {
  for (const words of [2, 1]) {
    const name = positionals.slice(0, words).join(' ');
    if (COMMANDS[name]) return [name, positionals.slice(words)];
  }
  return [null, positionals];
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
  return `${profile.user}@${profile.host}:${profile.port}/${profile.database}, sslmode ${profile.sslmode}, ${password}`;
}

function describeTool(tool: PgTool): string {
  return `${tool.name} ${tool.version} (${tool.source}) ${tool.path}`;
}

function describeReport(report: ConnectionReport): string {
  return [
    `Connected to ${report.host}:${report.port}/${report.database} as ${report.user}${report.ssl ? ' over SSL' : ''} in ${report.latencyMs} ms`,
    `Server:     PostgreSQL ${report.serverVersion}`,
    `Database:   ${formatBytes(report.databaseSizeBytes)}`,
    `pg_dump:    ${describeTool(report.tools.pg_dump)}`,
    `pg_restore: ${describeTool(report.tools.pg_restore)}`,
  ].join('\n');
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function helpText(): string {
  const rows = Object.values(COMMANDS).map((c) => [`  lifeboat ${c.usage}`, c.summary]);
  return `Lifeboat ${packageVersion()} — encrypted PostgreSQL backups, safe restores, restore drills.\n\nUsage:\n${rows.map(([u, s]) => `${u}\n      ${s}`).join('\n')}\n\nEvery command takes --json for machine-readable output and exits non-zero with a one-line reason on failure.\nData directory: the OS app-data folder, or $LIFEBOAT_HOME.\n`;
}
