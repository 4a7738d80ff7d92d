// The OS job that runs `lifeboat run-due` every few minutes while the app is closed:
// a systemd user timer (or a crontab line) on Linux, a launchd agent on macOS, a Task Scheduler task on Windows.
import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LifeboatError } from '../errors.ts';

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

const jobEnv = (command: RunDueCommand): [string, string][] => [['LIFEBOAT_HOME', command.dataDir], ...Object.entries(command.env ?? {})];

const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
const xmlEscape = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

export function crontabLine(command: RunDueCommand): string {
  const log = path.join(command.dataDir, 'run-due.log');
  const env = jobEnv(command).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
  return `*/${EVERY_MINUTES} * * * * ${env} ${[command.executable, ...command.args].map(shellQuote).join(' ')} run-due >> ${shellQuote(log)} 2>&1 ${CRON_MARKER}`;
}

export function systemdUnits(command: RunDueCommand): { service: string; timer: string } {
  const exec = [command.executable, ...command.args, 'run-due'].map((a) => (/[\s"\\]/.test(a) ? `"${a.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : a)).join(' ');
  return {
    service: `[Unit]\nDescription=Lifeboat: run due PostgreSQL backups and drills\n\n[Service]\nType=oneshot\n${jobEnv(command).map(([k, v]) => `Environment="${k}=${v}"\n`).join('')}ExecStart=${exec}\n`,
    timer: `[Unit]\nDescription=Lifeboat: check for due backups every ${EVERY_MINUTES} minutes\n\n[Timer]\nOnBootSec=2min\nOnUnitActiveSec=${EVERY_MINUTES}min\n# Catch up on runs missed while the machine was off or asleep.\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n`,
  };
}

export function launchdPlist(command: RunDueCommand): string {
  const args = [command.executable, ...command.args, 'run-due'].map((a) => `    <string>${xmlEscape(a)}</string>`).join('\n');
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
${jobEnv(command).map(([k, v]) => `    <key>${xmlEscape(k)}</key>\n    <string>${xmlEscape(v)}</string>`).join('\n')}
  </dict>
  <key>StartInterval</key>
  <integer>${EVERY_MINUTES * 60}</integer>
  <key>RunAtLoad</key>
  <true/>
  <key>StandardOutPath</key>
  <string>${xmlEscape(path.join(command.dataDir, 'run-due.log'))}</string>
  <key>StandardErrorPath</key>
  <string>${xmlEscape(path.join(command.dataDir, 'run-due.log'))}</string>
</dict>
</plist>
`;
}

export function windowsTaskXml(command: RunDueCommand, startBoundary: string): string {
  const args = [...command.args, 'run-due'].map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');
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
      <Command>${xmlEscape(command.executable)}</Command>
      <Arguments>${xmlEscape(args)}</Arguments>
    </Exec>
  </Actions>
</Task>
`;
}

export interface OsJobStatus {
  installed: boolean;
  kind: 'systemd' | 'crontab' | 'launchd' | 'windows-task' | null;
  where: string | null;
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
  await uninstallOsJob();
  if (process.platform === 'darwin') {
    await mkdir(path.dirname(launchdFile()), { recursive: true });
    await writeFile(launchdFile(), launchdPlist(command));
    await run('launchctl', ['load', '-w', launchdFile()]);
  } else if (process.platform === 'win32') {
    const file = path.join(os.tmpdir(), 'lifeboat-run-due.xml');
    await writeFile(file, `\ufeff${windowsTaskXml(command, new Date().toISOString().slice(0, 19))}`, 'utf16le');
    await run('schtasks', ['/Create', '/F', '/TN', WINDOWS_TASK, '/XML', file]);
    await rm(file, { force: true });
  } else if (await systemdAvailable()) {
    const units = systemdUnits(command);
    await mkdir(systemdDir(), { recursive: true });
    await writeFile(path.join(systemdDir(), `${UNIT}.service`), units.service);
    await writeFile(path.join(systemdDir(), `${UNIT}.timer`), units.timer);
    await run('systemctl', ['--user', 'daemon-reload']);
    await run('systemctl', ['--user', 'enable', '--now', `${UNIT}.timer`]);
  } else {
    const table = await readCrontab();
    const kept = table.split('\n').filter((line) => line && !line.includes(CRON_MARKER));
    await writeCrontab(`${[...kept, crontabLine(command)].join('\n')}\n`);
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
