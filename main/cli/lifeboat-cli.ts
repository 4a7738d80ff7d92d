import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine } from '../engine/index.ts';
import { createOutput, table, UsageError } from './cli-output.ts';
import { OPTIONS, type CliEntry, type Command } from './cli-command.ts';
import { ARCHIVE_COMMANDS } from './commands/archive-commands.ts';
import { claimPassphraseVariable } from './secret-env.ts';
import { RESTORE_COMMANDS } from './commands/restore-commands.ts';
import { DEMO_COMMANDS, DRILL_COMMANDS } from './commands/drill-commands.ts';
import { SERVER_RUN_COMMANDS } from './commands/server-run-commands.ts';
import { SCHEDULE_COMMANDS } from './commands/schedule-commands.ts';
import { PROFILE_COMMANDS } from './commands/profile-commands.ts';
import { DESTINATION_COMMANDS } from './commands/destination-commands.ts';
import { HEALTH_COMMANDS } from './commands/health-commands.ts';

const COMMANDS: Record<string, Command> = {
  ...HEALTH_COMMANDS,
  ...ARCHIVE_COMMANDS,
  ...RESTORE_COMMANDS,
  ...DRILL_COMMANDS,
  ...SERVER_RUN_COMMANDS,
  ...DEMO_COMMANDS,
  ...SCHEDULE_COMMANDS,
  ...PROFILE_COMMANDS,
  ...DESTINATION_COMMANDS,
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

/** Runs one command; `entry` is the bin.mjs that started it and which code it chose (cli-entry.mjs). */
export async function main(argv: string[], entry: CliEntry): Promise<number> {
  const out = createOutput(argv.includes('--json'));
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    if (values.version) {
      out.result({ version: packageVersion(), from: entry.from }, () => `lifeboat ${packageVersion()}`);
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
    claimPassphraseVariable(values['ssh-password-env']);
    claimPassphraseVariable(values['secret-key-env']);
    command.warmUp?.(); // after the claims above: a worker thread gets a copy of the environment as it is now
    const engine = await createEngine({ toolsOverrideDir: values['pg-bin'] ?? process.env.LIFEBOAT_PG_BIN ?? null });
    await command.run({ engine, out, args, values, entry });
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

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function helpText(): string {
  const rows = Object.values(COMMANDS).map((c) => [`  lifeboat ${c.usage}`, c.summary]);
  return `Lifeboat ${packageVersion()} — encrypted PostgreSQL backups, safe restores, restore drills.\n\nUsage:\n${rows.map(([u, s]) => `${u}\n      ${s}`).join('\n')}\n\nEvery command takes --json for machine-readable output and exits non-zero with a one-line reason on failure.\nData directory: the OS app-data folder, or $LIFEBOAT_HOME.\n`;
}
