// The OS job that runs `lifeboat run-due` every few minutes while the app is closed:
// a systemd user timer (or a crontab line) on Linux, a launchd agent on macOS, a Task Scheduler task on Windows.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LifeboatError } from '../errors.ts';
import type { OsJobStatus } from '../model/schedule.ts';
export type { OsJobStatus } from '../model/schedule.ts';

const run = promisify(execFile);
export const CRON_MARKER = '# lifeboat-run-due';
export const UNIT = 'lifeboat-run-due';
export const LAUNCHD_LABEL = 'dev.lifeboat.run-due';
export const WINDOWS_TASK = 'Lifeboat\\RunDue';
const EVERY_MINUTES = 5;

export interface RunDueCommand {
  /** The Node (or app) executable and its arguments; LIFEBOAT_HOME pins the data directory. */
  executable: string;
  args: string[];
  dataDir: string;
  /** More environment for the job, e.g. where the bundled PostgreSQL tools are (LIFEBOAT_BUNDLED_PG_TOOLS). */
  env?: Record<string, string>;
}

// Every value the job file carries (paths to the program and the CLI, LIFEBOAT_HOME, more environment,
// the log file) is escaped for its format, or refused with INVALID_INPUT when the format cannot hold it,
// so a folder name can never change what the job runs.

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function jobEnv(command: RunDueCommand): [string, string][] {
  const env: [string, string][] = [['LIFEBOAT_HOME', command.dataDir], ...Object.entries(command.env ?? {})];
  for (const [name] of env) {
    // sh would run a non-name before `=` as a command; systemd.exec(5) allows letters, digits and _ only.
    if (!ENV_NAME.test(name)) throw new LifeboatError('INVALID_INPUT', `Cannot write the OS job: ${JSON.stringify(name)} is not an environment variable name.`, 'Use letters, digits and underscores only, not starting with a digit.');
  }
  return env;
}

/** How an error names a value: "the data folder (LIFEBOAT_HOME)", "argument 1", … */
const envLabel = (name: string) => (name === 'LIFEBOAT_HOME' ? 'the data folder (LIFEBOAT_HOME)' : `the environment variable ${name}`);
const argLabel = (index: number) => (index === 0 ? 'the program path' : `argument ${index} of the command`);
const LOG_LABEL = 'the log file path';

function characterName(c: string): string {
  const named: Record<string, string> = { '\n': 'a line break', '\r': 'a carriage return', '\0': 'a NUL character', '\t': 'a tab', '"': 'a double quote', "'": 'a single quote', '\\': 'a backslash', '%': 'a percent sign' };
  const code = c.codePointAt(0)!;
  if (named[c]) return named[c];
  return code >= 0xd800 && code <= 0xdfff ? 'an unpaired UTF-16 surrogate (not valid Unicode)' : `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Throws INVALID_INPUT when `value` has a character `format` cannot hold (the first one `unsafe` matches). */
function refuseCharacters(label: string, value: string, format: string, unsafe: RegExp, why = 'which it cannot hold'): void {
  const bad = unsafe.exec(value)?.[0];
  if (bad === undefined) return;
  const code = bad.codePointAt(0)!;
  const control = code < 0x20 || code === 0x7f;
  throw new LifeboatError(
    'INVALID_INPUT',
    `Cannot write the OS job as ${format}: ${label} ${JSON.stringify(value)} contains ${characterName(bad)}, ${why}.`,
    `Move Lifeboat or its data folder to a folder whose path ${control ? 'has no control characters (such as line breaks or tabs)' : `does not contain ${JSON.stringify(bad)}`}, then install the OS job again.`,
  );
}

const xmlEscape = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

// --- crontab (crontab(5), cron(8)) ---
// A newline ends the crontab line and a NUL ends cron's C string; CR is refused rather than trusted to
// every cron. Anything else (tabs, quotes, non-ASCII) is safe inside sh single quotes. Lone surrogates
// cannot be written as UTF-8 at all.
const CRON_UNSAFE = /[\0\n\r]|[\uD800-\uDFFF]/u;

/**
 * One sh word (cron runs the command field with /bin/sh -c) that survives cron's own unescaping first.
 * cron turns an unescaped `%` into a newline (the rest becomes stdin) and `\%` into `%` wherever it
 * stands, even inside sh quotes; Debian's cron (Vixie 3.0) also turns `\\` into `\`, cronie does not.
 * So inside the single quotes no backslash may be followed by `\` or `%`:
 * - `%` goes outside the quotes as `\%`: cron hands sh a bare `%` (literal); a cron that leaves `%`
 *   alone hands sh `\%`, which sh also reads as `%`.
 * - each `\` is followed by closing and reopening the quotes (`\''`), so it always precedes a `'`.
 * - `'` is the usual `'\''`.
 */
function cronShellWord(label: string, value: string): string {
  refuseCharacters(label, value, 'a crontab line', CRON_UNSAFE);
  const quoted = value.replace(/['\\%]/g, (c) => ({ "'": "'\\''", '\\': "\\''", '%': "'\\%'" })[c]!);
  return `'${quoted}'`;
}

export function crontabLine(command: RunDueCommand): string {
  const log = path.join(command.dataDir, 'run-due.log');
  const env = jobEnv(command).map(([k, v]) => `${k}=${cronShellWord(envLabel(k), v)}`).join(' ');
  const argv = [command.executable, ...command.args].map((a, i) => cronShellWord(argLabel(i), a)).join(' ');
  return `*/${EVERY_MINUTES} * * * * ${env} ${argv} run-due >> ${cronShellWord(LOG_LABEL, log)} 2>&1 ${CRON_MARKER}`;
}

// --- systemd units (systemd.syntax(7), systemd.service(5), systemd.exec(5), systemd.unit(5)) ---
// ExecStart: "control characters are not allowed"; Environment=: "non-printable characters are
// currently rejected". So every C0 control and DEL is refused.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SYSTEMD_UNSAFE = /[\0-\x1f\x7f]|[\uD800-\uDFFF]/u;
// Words made only of these need no quotes (no whitespace, quote, backslash, `;`, `$` or `%`).
const SYSTEMD_BARE = /^[A-Za-z0-9_@+=:,./-]+$/;

/** A double-quoted item: C-style escapes for `\` and `"` (systemd.syntax(7)), `%%` for a literal `%` (specifiers, systemd.unit(5)). */
const systemdQuoted = (text: string) => `"${text.replace(/[\\"]/g, '\\$&').replaceAll('%', '%%')}"`;

/** One ExecStart= argument. `$$` is a literal `$` (systemd.service(5)); else `$NAME`/`${NAME}` would expand. */
function execStartWord(label: string, value: string): string {
  refuseCharacters(label, value, 'a systemd unit', SYSTEMD_UNSAFE);
  const text = value.replaceAll('$', () => '$$');
  return SYSTEMD_BARE.test(text) ? text : systemdQuoted(text);
}

/** The first ExecStart= word(s): the program path, and argv[0] separately when the path holds a `$`. */
function execStartProgram(executable: string): string[] {
  const label = argLabel(0);
  refuseCharacters(label, executable, 'a systemd unit', SYSTEMD_UNSAFE);
  // systemd.service(5): a leading @ - : + ! is a prefix, not part of the path.
  refuseCharacters(label, executable, 'a systemd unit', /^[@\-:+!]/, 'which systemd reads as a prefix of ExecStart=');
  // systemd rejects these in the program path: "Executable name contains special characters".
  refuseCharacters(label, executable, 'a systemd unit', /["'\\]/, 'which systemd refuses in the program path of ExecStart=');
  if (!executable.includes('$')) return [execStartWord(label, executable)];
  // systemd does not expand $ in the path it executes, but argv[0] is a copy of that path and is expanded.
  // "@path argv0" (systemd.service(5)) keeps both exact: the path with `$` as is, argv[0] with `$$`.
  return [systemdQuoted(`@${executable}`), execStartWord(label, executable)];
}

/** Environment="NAME=value": quoted as a whole; `$` means nothing here, specifiers do (systemd.exec(5)). */
function environmentLine(name: string, value: string): string {
  refuseCharacters(envLabel(name), value, 'a systemd unit', SYSTEMD_UNSAFE);
  return `Environment=${systemdQuoted(`${name}=${value}`)}\n`;
}

export function systemdUnits(command: RunDueCommand): { service: string; timer: string } {
  const exec = [...execStartProgram(command.executable), ...command.args.map((a, i) => execStartWord(argLabel(i + 1), a)), 'run-due'].join(' ');
  const env = jobEnv(command).map(([k, v]) => environmentLine(k, v)).join('');
  return {
    service: `[Unit]\nDescription=Lifeboat: run due PostgreSQL backups and drills\n\n[Service]\nType=oneshot\n${env}ExecStart=${exec}\n`,
    timer: `[Unit]\nDescription=Lifeboat: check for due backups every ${EVERY_MINUTES} minutes\n\n[Timer]\nOnBootSec=2min\nOnUnitActiveSec=${EVERY_MINUTES}min\n# Catch up on runs missed while the machine was off or asleep.\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n`,
  };
}

// --- launchd property list (XML 1.0) ---
// XML 1.0 §2.2 Char: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF. LF and CR are refused
// too: a parser turns CR into LF (§2.11), and a job path with a line break is refused on every platform.
// launchd passes ProgramArguments to execvp(3) without a shell (no EnableGlobbing), so XML escaping is all.
const PLIST_UNSAFE = /[^\t\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function plistString(label: string, value: string): string {
  refuseCharacters(label, value, 'a launchd property list', PLIST_UNSAFE);
  return `<string>${xmlEscape(value)}</string>`;
}

export function launchdPlist(command: RunDueCommand): string {
  const args = [command.executable, ...command.args, 'run-due'].map((a, i) => `    ${plistString(argLabel(i), a)}`).join('\n');
  const env = jobEnv(command).map(([k, v]) => `    <key>${xmlEscape(k)}</key>\n    ${plistString(envLabel(k), v)}`).join('\n');
  const log = plistString(LOG_LABEL, path.join(command.dataDir, 'run-due.log'));
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
${env}
  </dict>
  <key>StartInterval</key>
  <integer>${EVERY_MINUTES * 60}</integer>
  <key>RunAtLoad</key>
  <true/>
  <key>StandardOutPath</key>
  ${log}
  <key>StandardErrorPath</key>
  ${log}
</dict>
</plist>
`;
}

// --- Windows Task Scheduler task (XML) ---
// Windows file names cannot hold characters 1–31 nor `"` ("Naming Files, Paths, and Namespaces"), and
// XML 1.0 cannot hold most controls: all C0 controls are refused, and `"` too (it would end a quoted argument).
const WINDOWS_UNSAFE = /[^\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]|"/u;

function windowsValue(label: string, value: string): string {
  refuseCharacters(label, value, 'a Windows scheduled task', WINDOWS_UNSAFE);
  // Task Scheduler expands %NAME% in Command and Arguments (IExecAction) and has no escape for `%`.
  refuseCharacters(label, value, 'a Windows scheduled task', /%/, 'which Task Scheduler would read as part of an environment variable (%NAME%)');
  return value;
}

/**
 * The task itself runs the batch file (windowsRunDueScript) through cmd: Task Scheduler cannot set
 * environment variables, and without ELECTRON_RUN_AS_NODE the app's executable would open a window
 * instead of running the CLI. `/s /c ""…""`: cmd strips the outer pair of quotes and runs the quoted path.
 */
export function windowsTaskXml(script: string, startBoundary: string, systemRoot = process.env.SystemRoot ?? 'C:\\Windows'): string {
  const cmd = windowsValue('the Windows folder (SystemRoot)', `${systemRoot}\\System32\\cmd.exe`);
  const args = `/d /s /c ""${windowsValue('the run-due batch file path', script)}""`;
  return `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.4" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Description>Lifeboat: run due PostgreSQL backups and drills</Description></RegistrationInfo>
  <Triggers>
    <TimeTrigger>
      <StartBoundary>${xmlEscape(startBoundary)}</StartBoundary>
      <Repetition><Interval>PT${EVERY_MINUTES}M</Interval><StopAtDurationEnd>false</StopAtDurationEnd></Repetition>
      <Enabled>true</Enabled>
    </TimeTrigger>
  </Triggers>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <StartWhenAvailable>true</StartWhenAvailable>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <ExecutionTimeLimit>PT12H</ExecutionTimeLimit>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>${xmlEscape(cmd)}</Command>
      <Arguments>${xmlEscape(args)}</Arguments>
    </Exec>
  </Actions>
</Task>
`;
}

/**
 * The batch file the Windows task runs: the job's environment, then the command. In a batch file `%`
 * is written `%%`; inside "…" the characters & | < > ^ are literal; delayed expansion (`!`) is off;
 * each word is quoted for CommandLineToArgvW (trailing backslashes doubled). Line breaks, other control
 * characters and `"` cannot be written and are refused.
 */
export function windowsRunDueScript(command: RunDueCommand): string {
  const lines = ['@echo off', 'rem Written by Lifeboat ("lifeboat schedule install"): the scheduled task runs this.', 'chcp 65001 >nul', 'setlocal DisableDelayedExpansion'];
  for (const [name, value] of jobEnv(command)) lines.push(`set "${name}=${batchText(envLabel(name), value)}"`);
  const words = [command.executable, ...command.args].map((value, i) => `"${batchText(argLabel(i), value).replace(/\\+$/, '$&$&')}"`);
  lines.push([...words, 'run-due'].join(' '));
  return `${lines.join('\r\n')}\r\n`;
}

function batchText(label: string, value: string): string {
  refuseCharacters(label, value, 'a Windows batch file', WINDOWS_UNSAFE);
  return value.replaceAll('%', '%%');
}

async function systemdAvailable(): Promise<boolean> {
  return run('systemctl', ['--user', 'show-environment'], { timeout: 5000 }).then(() => true, () => false);
}

async function readCrontab(): Promise<string> {
  return run('crontab', ['-l']).then((r) => r.stdout, (error: { stderr?: string; code?: string | number }) => {
    if (error.code === 'ENOENT') throw new LifeboatError('TOOL_NOT_FOUND', 'Neither a systemd user session nor crontab is available to run Lifeboat while the app is closed.', 'Install cron (e.g. apt install cron), or keep the app running in the tray.');
    return ''; // "no crontab for user"
  });
}

function writeCrontab(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('crontab', ['-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (d) => (errors += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new LifeboatError('INTERNAL', `crontab refused the new table: ${errors.trim()}`, 'Check that your user may use cron.'))));
    child.stdin.end(text);
  });
}

const systemdDir = () => path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'systemd', 'user');
const launchdFile = () => path.join(os.homedir(), 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);

export async function osJobStatus(): Promise<OsJobStatus> {
  if (process.platform === 'darwin') {
    const exists = await readFile(launchdFile()).then(() => true, () => false);
    return { installed: exists, kind: exists ? 'launchd' : null, where: exists ? launchdFile() : null };
  }
  if (process.platform === 'win32') {
    const installed = await run('schtasks', ['/Query', '/TN', WINDOWS_TASK]).then(() => true, () => false);
    return { installed, kind: installed ? 'windows-task' : null, where: installed ? WINDOWS_TASK : null };
  }
  const timer = path.join(systemdDir(), `${UNIT}.timer`);
  if (await readFile(timer).then(() => true, () => false)) return { installed: true, kind: 'systemd', where: timer };
  const table = await readCrontab().catch(() => '');
  if (table.includes(CRON_MARKER)) return { installed: true, kind: 'crontab', where: 'crontab' };
  return { installed: false, kind: null, where: null };
}

export async function installOsJob(command: RunDueCommand): Promise<OsJobStatus> {
  // Each branch writes the job's text before removing the current job, so a value the format cannot hold
  // (INVALID_INPUT) leaves the installed job as it was.
  if (process.platform === 'darwin') {
    const plist = launchdPlist(command);
    await uninstallOsJob();
    await mkdir(path.dirname(launchdFile()), { recursive: true });
    await writeFile(launchdFile(), plist);
    await run('launchctl', ['load', '-w', launchdFile()]);
  } else if (process.platform === 'win32') {
    const script = path.join(command.dataDir, 'run-due.cmd');
    const batch = windowsRunDueScript(command);
    const xml = windowsTaskXml(script, new Date().toISOString().slice(0, 19));
    await uninstallOsJob();
    await writeFile(script, batch);
    const folder = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-task-'));
    try {
      await writeFile(path.join(folder, 'run-due.xml'), `\ufeff${xml}`, 'utf16le');
      await run('schtasks', ['/Create', '/F', '/TN', WINDOWS_TASK, '/XML', path.join(folder, 'run-due.xml')]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  } else if (await systemdAvailable()) {
    const units = systemdUnits(command);
    await uninstallOsJob();
    await mkdir(systemdDir(), { recursive: true });
    await writeFile(path.join(systemdDir(), `${UNIT}.service`), units.service);
    await writeFile(path.join(systemdDir(), `${UNIT}.timer`), units.timer);
    await run('systemctl', ['--user', 'daemon-reload']);
    await run('systemctl', ['--user', 'enable', '--now', `${UNIT}.timer`]);
  } else {
    const ours = crontabLine(command);
    await uninstallOsJob();
    const table = await readCrontab();
    const kept = table.split('\n').filter((line) => line && !line.includes(CRON_MARKER));
    await writeCrontab(`${[...kept, ours].join('\n')}\n`);
  }
  return osJobStatus();
}

export async function uninstallOsJob(): Promise<OsJobStatus> {
  if (process.platform === 'darwin') {
    await run('launchctl', ['unload', '-w', launchdFile()]).catch(() => {});
    await rm(launchdFile(), { force: true });
  } else if (process.platform === 'win32') {
    await run('schtasks', ['/Delete', '/F', '/TN', WINDOWS_TASK]).catch(() => {});
  } else {
    const timer = path.join(systemdDir(), `${UNIT}.timer`);
    if (await readFile(timer).then(() => true, () => false)) {
      await run('systemctl', ['--user', 'disable', '--now', `${UNIT}.timer`]).catch(() => {});
      await rm(timer, { force: true });
      await rm(path.join(systemdDir(), `${UNIT}.service`), { force: true });
      await run('systemctl', ['--user', 'daemon-reload']).catch(() => {});
    }
    const table = await readCrontab().catch(() => '');
    if (table.includes(CRON_MARKER)) {
      const kept = table.split('\n').filter((line) => line && !line.includes(CRON_MARKER));
      await writeCrontab(kept.length ? `${kept.join('\n')}\n` : '');
    }
  }
  return osJobStatus();
}
