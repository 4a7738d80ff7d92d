// The OS job's text (issue 12): every value written into the crontab line, the systemd units, the launchd
// property list and the Task Scheduler XML reaches the program exactly, or is refused with INVALID_INPUT.
// Where a real tool is on the machine, the text goes through it: /bin/sh (and a real cron when run as
// root), systemd's own unit parser, Python's plistlib and expat. Elsewhere, parsers written from the
// formats' documentation stand in.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crontabLine, launchdPlist, systemdUnits, windowsRunDueScript, windowsTaskXml, type RunDueCommand } from '../../main/engine/schedule/os-job.ts';

const run = promisify(execFile);

/** Text that means something to cron, sh, systemd or XML, plus non-ASCII. */
const TRICKY = ['%', '%h', '50% off', '%%', '$HOME', '${VAR}', '$$', "it's", '"dq"', 'a b', '  padded  ', 'back\\slash', 'tail\\', '\\\\', 'a\\\\b', "'\\", "\\'", 'a\\%b', '\\%', '\\\\%', '\\%%\\', 'é ü 日本 😀', '', ';', '#x', '*', '`id`', '$(id)', '~', '&<>'];
/** A folder name with the same kind of text, for the program, the CLI script and the data folder. */
const WEIRD = `w %h 50% $HOME \${V} 'q' "d" \\ é`;
const REFUSED_EVERYWHERE: [string, string][] = [['a line break', 'a\nb'], ['a carriage return', 'a\rb'], ['a NUL character', 'a\0b'], ['an unpaired UTF-16 surrogate', 'a\uD800b']];

const have = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const invalid = (message: RegExp) => expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(message), fix: expect.stringMatching(/install the OS job again/) });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-os-job-text-'));
  await chmod(root, 0o755); // systemd's parser runs as nobody below
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A real program at a path full of WEIRD text that prints its arguments and environment as one JSON line. */
async function printerJob(name: string, args: string[], env: Record<string, string> = {}): Promise<{ command: RunDueCommand; expected: object; log: string }> {
  const dir = path.join(root, name);
  const bin = path.join(dir, `bin ${WEIRD}`);
  const dataDir = path.join(dir, `data ${WEIRD}`);
  await mkdir(bin, { recursive: true });
  await mkdir(dataDir, { recursive: true });
  await symlink(process.execPath, path.join(bin, 'node'));
  const script = path.join(bin, 'print %s.cjs');
  await writeFile(script, "console.log(JSON.stringify({ argv: process.argv.slice(2), env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k === 'LIFEBOAT_HOME' || k.startsWith('JOB_'))) }));\n");
  const command = { executable: path.join(bin, 'node'), args: [script, ...args], dataDir, env };
  return { command, expected: { argv: [...args, 'run-due'], env: { LIFEBOAT_HOME: dataDir, ...env } }, log: path.join(dataDir, 'run-due.log') };
}

describe('crontab line', () => {
  // cron(8)'s own pass over the command field before /bin/sh -c sees it (crontab(5): "Percent-signs (%) in
  // the command, unless escaped with backslash (\), will be changed into newline characters, and all data
  // after the first % will be sent to the command as standard input"). Debian's cron (Vixie 3.0) also turns
  // \\ into \ (seen with the real cron below); cronie/ISC cron only \%; some crons leave % alone.
  type CronVariant = (field: string) => { command: string; input: string | null };
  const vixieStyle = (unescapes: string): CronVariant => (field) => {
    let command = '';
    for (let i = 0; i < field.length; i++) {
      const ch = field[i]!;
      if (ch === '\\' && unescapes.includes(field[i + 1] ?? '')) {
        command += field[++i];
        continue;
      }
      if (ch === '\\') {
        command += ch + (field[++i] ?? ''); // any other escaped character: both kept
        continue;
      }
      if (ch === '%') return { command, input: field.slice(i + 1).replaceAll('%', '\n') };
      command += ch;
    }
    return { command, input: null };
  };
  const variants: Record<string, CronVariant> = { 'Debian cron': vixieStyle('%\\'), cronie: vixieStyle('%'), 'a cron without %': (field) => ({ command: field, input: null }) };
  const commandField = (line: string) => line.replace(/^(\S+\s+){5}/, '');

  it('sh receives exactly the original values after each cron variant unescapes the command field', async () => {
    const job = await printerJob('cron-sh', [...TRICKY, '\t tab', '\x01\x7f'], { JOB_EXTRA: "x%y 'z' \\% \\\\ $HOME" });
    const field = commandField(crontabLine(job.command));
    expect(field).not.toContain('\n');
    for (const [name, variant] of Object.entries(variants)) {
      const { command, input } = variant(field);
      expect(input, `${name}: an unescaped % would cut the command`).toBeNull();
      await rm(job.log, { force: true });
      await run('/bin/sh', ['-c', command], { env: { PATH: '/usr/bin:/bin' } });
      expect(JSON.parse(await readFile(job.log, 'utf8')), name).toEqual(job.expected);
    }
  });

  it('keeps the plain line unchanged', () => {
    expect(crontabLine({ executable: '/opt/node/bin/node', args: ['/opt/cli.mjs'], dataDir: '/home/me/Lifeboat' })).toBe("*/5 * * * * LIFEBOAT_HOME='/home/me/Lifeboat' '/opt/node/bin/node' '/opt/cli.mjs' run-due >> '/home/me/Lifeboat/run-due.log' 2>&1 # lifeboat-run-due");
  });

  it('refuses line breaks, CR, NUL and lone surrogates in any value, naming the value', () => {
    const ok = { executable: '/usr/bin/node', args: ['/opt/cli.mjs'], dataDir: '/data' };
    for (const [problem, bad] of REFUSED_EVERYWHERE) {
      expect(() => crontabLine({ ...ok, dataDir: `/data/${bad}` }), problem).toThrow(invalid(new RegExp(`crontab line: the data folder \\(LIFEBOAT_HOME\\) ".*" contains ${problem}`)));
      expect(() => crontabLine({ ...ok, executable: `/usr/${bad}/node` }), problem).toThrow(invalid(new RegExp(`the program path .* contains ${problem}`)));
      expect(() => crontabLine({ ...ok, args: ['/opt/cli.mjs', bad] }), problem).toThrow(invalid(new RegExp(`argument 2 of the command .* contains ${problem}`)));
      expect(() => crontabLine({ ...ok, env: { JOB_X: bad } }), problem).toThrow(invalid(new RegExp(`the environment variable JOB_X .* contains ${problem}`)));
    }
    expect(() => crontabLine({ ...ok, env: { 'A B': '1' } })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/"A B" is not an environment variable name/) }));
  });

  // A real cron daemon, in a private mount namespace with its own empty crontab spool, runs the line once.
  const canRunRealCron = process.getuid?.() === 0 && existsSync('/usr/sbin/cron') && existsSync('/etc/crontab') && existsSync('/etc/cron.d') && existsSync('/var/spool/cron/crontabs') && spawnSync('unshare', ['-m', 'true']).status === 0;
  it.skipIf(!canRunRealCron)('a real cron runs the line and the program receives exactly the original values', async () => {
    const job = await printerJob('cron-real', [...TRICKY, '\t tab'], { JOB_EXTRA: "x%y 'z' \\% \\\\" });
    const table = path.join(root, 'cron-real', 'crontab');
    const empty = path.join(root, 'cron-real', 'empty');
    await writeFile(table, `${crontabLine(job.command).replace(/^\*\/5 /, '* ')}\n`);
    await writeFile(empty, '');
    const script = `set -e
      mount -t tmpfs -o mode=1730 tmpfs /var/spool/cron/crontabs; chgrp crontab /var/spool/cron/crontabs
      mount -t tmpfs tmpfs /etc/cron.d; mount --bind "$1" /etc/crontab; mount -t tmpfs tmpfs /run
      crontab "$2"
      /usr/sbin/cron -f & pid=$!
      i=0; while [ ! -s "$3" ] && [ $i -lt 80 ]; do sleep 1; i=$((i+1)); done
      sleep 1; kill $pid`;
    await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', empty, table, job.log], { timeout: 120_000 });
    expect(JSON.parse(await readFile(job.log, 'utf8'))).toEqual(job.expected);
  }, 150_000);
});

describe('systemd units', () => {
  // systemd.syntax(7) "Quoting": whitespace separates items; "…" or '…' wrap a whole item; C-style escapes.
  function unitWords(text: string): string[] {
    const words: string[] = [];
    let i = 0;
    const escape = (c: string) => ({ '\\': '\\', '"': '"', "'": "'", s: ' ' })[c] ?? expect.fail(`unexpected escape \\${c} in ${text}`);
    while (i < text.length) {
      if (text[i] === ' ') { i++; continue; }
      const quote = text[i] === '"' || text[i] === "'" ? text[i++] : null;
      let word = '';
      while (i < text.length && (quote ? text[i] !== quote : text[i] !== ' ')) word += text[i] === '\\' ? escape(text[(i += 2) - 1]!) : text[i++];
      if (quote) expect(text[i++], `closing ${quote} in ${text}`).toBe(quote);
      words.push(word);
    }
    return words;
  }
  // systemd.unit(5) "Specifiers": %% is a literal %; the tests never expect another specifier.
  const specifiers = (word: string) => word.replace(/%(.?)/g, (_, c: string) => (c === '%' ? '%' : expect.fail(`specifier %${c} in ${word}`)));
  // systemd.service(5) "Command lines": $$ is a literal $; $NAME and ${NAME} would expand at run time.
  const dollars = (word: string) => word.replace(/\$(.?)/g, (_, c: string) => (c === '$' ? '$' : expect.fail(`variable $${c}… in ${word}`)));
  /** What systemd runs: the path it executes and argv, per systemd.service(5) (an "@" first word gives argv[0] separately). */
  function execStart(service: string): { path: string; argv: string[] } {
    const words = unitWords(service.match(/^ExecStart=(.*)$/m)![1]!).map(specifiers);
    if (words[0]!.startsWith('@')) return { path: words[0]!.slice(1), argv: words.slice(1).map(dollars) };
    return { path: words[0]!, argv: words.map(dollars) };
  }
  const environment = (service: string) => Object.fromEntries([...service.matchAll(/^Environment=(.*)$/gm)].flatMap((m) => unitWords(m[1]!)).map((a) => specifiers(a).split(/=(.*)/s).slice(0, 2)));

  const command = (executable: string): RunDueCommand => ({ executable, args: [`/opt/cli ${WEIRD}.mjs`, ...TRICKY], dataDir: `/home/me/${WEIRD}`, env: { JOB_EXTRA: "x%h $HOME ${V} 'z' \"q\" \\" } });

  it('ExecStart= and Environment= give back exactly the original values (read per systemd.syntax(7))', () => {
    for (const executable of ['/opt/node/bin/node', '/opt/my app %h/né/node', '/opt/$HOME ${V} 50%/node']) {
      const c = command(executable);
      const service = systemdUnits(c).service;
      expect(execStart(service)).toEqual({ path: executable, argv: [executable, ...c.args, 'run-due'] });
      expect(environment(service)).toEqual({ LIFEBOAT_HOME: c.dataDir, JOB_EXTRA: c.env!.JOB_EXTRA });
    }
  });

  // systemd's own parser: `systemd --test` (as a user other than root) loads the unit and dumps what it
  // parsed: each Environment= assignment as is, and argv before run-time $ expansion, shell-quoted.
  const systemdBinary = ['/lib/systemd/systemd', '/usr/lib/systemd/systemd'].find((p) => existsSync(p));
  const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  async function systemdParse(dir: string, service: string): Promise<{ environment: string[]; argv: string[] } | null> {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
    await writeFile(path.join(dir, 'lifeboat-run-due.service'), service, { mode: 0o644 });
    const [program, ...args] = [...asUser, 'env', `SYSTEMD_UNIT_PATH=${dir}:`, systemdBinary!, '--test', '--system', '--unit=lifeboat-run-due.service', '--log-target=null'];
    const { stdout } = await run(program!, args, { maxBuffer: 64 * 1024 * 1024 }).catch(() => ({ stdout: '' }));
    const block = stdout.split(/\n\t-> Unit /).find((b) => b.startsWith('lifeboat-run-due.service:'));
    const line = block?.match(/^\t+Command Line: (.*)$/m)?.[1];
    if (!block || line === undefined) return null;
    return { environment: [...block.matchAll(/^\t+Environment: (.*)$/gm)].map((m) => m[1]!), argv: shellWords(line) };
  }
  /** systemd's quote_command_line(): bare words, or "…" with \ before " \ ` $. */
  function shellWords(line: string): string[] {
    return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!));
  }
  const systemdWorks = Boolean(systemdBinary) && (asUser.length === 0 || have('setpriv')) && have('env');

  it.skipIf(!systemdWorks)("systemd's own parser reads the unit back exactly (systemd --test), and finds the program (systemd-analyze verify)", async (ctx) => {
    const probe = await systemdParse(path.join(root, 'systemd-probe'), '[Service]\nType=oneshot\nExecStart=/bin/true probe\n');
    if (!probe) ctx.skip(); // this systemd does not dump parsed units
    for (const [n, folder] of ['plain', `my app %h é`, `$HOME \${V} 50%`].entries()) {
      const dir = path.join(root, `systemd-${n}`);
      const executable = path.join(dir, folder, 'node');
      await mkdir(path.dirname(executable), { recursive: true });
      await symlink('/bin/true', executable);
      const c = command(executable);
      const service = systemdUnits(c).service;
      const parsed = (await systemdParse(dir, service))!;
      expect(parsed.environment).toEqual([`LIFEBOAT_HOME=${c.dataDir}`, `JOB_EXTRA=${c.env!.JOB_EXTRA}`]);
      // The dump shows argv before run-time expansion, where $$ becomes $ (systemd.service(5)).
      expect(parsed.argv.map((a) => a.replaceAll('$$', '$'))).toEqual([executable, ...c.args, 'run-due']);
      if (have('systemd-analyze')) {
        // verify fails with "Command … is not executable" unless the path systemd will execute exists.
        await expect(run('systemd-analyze', ['verify', path.join(dir, 'lifeboat-run-due.service')])).resolves.toBeDefined();
        await writeFile(path.join(dir, 'lifeboat-run-due.service'), systemdUnits({ ...c, executable: `${executable}-missing` }).service);
        await expect(run('systemd-analyze', ['verify', path.join(dir, 'lifeboat-run-due.service')])).rejects.toMatchObject({ stderr: expect.stringMatching(/is not executable/) });
      }
    }
  });

  it('keeps plain units unchanged', () => {
    const service = systemdUnits({ executable: '/opt/node/bin/node', args: ['/opt/cli.mjs'], dataDir: '/home/me/Lifeboat' }).service;
    expect(service).toContain('\nEnvironment="LIFEBOAT_HOME=/home/me/Lifeboat"\nExecStart=/opt/node/bin/node /opt/cli.mjs run-due\n');
  });

  it('refuses control characters (tab and DEL too), and quotes, backslashes or a prefix in the program path', () => {
    const ok = { executable: '/usr/bin/node', args: ['/opt/cli.mjs'], dataDir: '/data' };
    const cases: [string, string][] = [...REFUSED_EVERYWHERE, ['a tab', 'a\tb'], ['the character U\\+007F', 'a\x7fb'], ['the character U\\+001B', 'a\x1bb']];
    for (const [problem, bad] of cases) {
      expect(() => systemdUnits({ ...ok, dataDir: `/data/${bad}` }), problem).toThrow(invalid(new RegExp(`systemd unit: the data folder \\(LIFEBOAT_HOME\\) .* contains ${problem}`)));
      expect(() => systemdUnits({ ...ok, args: [bad] }), problem).toThrow(invalid(new RegExp(`argument 1 of the command .* contains ${problem}`)));
      expect(() => systemdUnits({ ...ok, executable: `/usr/${bad}` }), problem).toThrow(invalid(new RegExp(`the program path .* contains ${problem}`)));
    }
    expect(() => systemdUnits({ ...ok, executable: "/opt/it's/node" })).toThrow(invalid(/the program path .* contains a single quote, which systemd refuses in the program path/));
    expect(() => systemdUnits({ ...ok, executable: '/opt/"q"/node' })).toThrow(invalid(/contains a double quote, which systemd refuses/));
    expect(() => systemdUnits({ ...ok, executable: '/opt/a\\b/node' })).toThrow(invalid(/contains a backslash, which systemd refuses/));
    expect(() => systemdUnits({ ...ok, executable: '-node' })).toThrow(invalid(/reads as a prefix of ExecStart=/));
  });
});

describe('launchd property list', () => {
  const canParse = have('python3') && spawnSync('python3', ['-c', 'import plistlib']).status === 0;
  const values = [...TRICKY, 'tab\there', '\u00a0nbsp', '\uFFFD', '𝄞'];

  it.skipIf(!canParse)("a real plist parser (Python's plistlib) reads back exactly the original values", async () => {
    const c: RunDueCommand = { executable: `/Applications/${WEIRD}/Lifeboat`, args: values, dataDir: `/Users/me/${WEIRD} &amp;`, env: { JOB_EXTRA: '<tag attr="x">&amp;</tag>' } };
    const file = path.join(root, 'launchd.plist');
    await writeFile(file, launchdPlist(c));
    const { stdout } = await run('python3', ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))', file]);
    const plist = JSON.parse(stdout);
    expect(plist.ProgramArguments).toEqual([c.executable, ...values, 'run-due']);
    expect(plist.EnvironmentVariables).toEqual({ LIFEBOAT_HOME: c.dataDir, JOB_EXTRA: c.env!.JOB_EXTRA });
    expect(plist.StandardOutPath).toBe(`${c.dataDir}/run-due.log`);
    expect(plist.StartInterval).toBe(300);
  });

  it('refuses line breaks, CR, NUL, lone surrogates and characters XML 1.0 cannot hold', () => {
    const ok = { executable: '/Applications/Lifeboat', args: ['--cli'], dataDir: '/data' };
    const cases: [string, string][] = [...REFUSED_EVERYWHERE, ['the character U\\+0001', 'a\x01b'], ['the character U\\+FFFE', 'a\uFFFEb']];
    for (const [problem, bad] of cases) {
      expect(() => launchdPlist({ ...ok, dataDir: `/data/${bad}` }), problem).toThrow(invalid(new RegExp(`launchd property list: the data folder \\(LIFEBOAT_HOME\\) .* contains ${problem}`)));
      expect(() => launchdPlist({ ...ok, args: ['--cli', bad] }), problem).toThrow(invalid(new RegExp(`argument 2 of the command .* contains ${problem}`)));
      expect(() => launchdPlist({ ...ok, executable: `/A/${bad}` }), problem).toThrow(invalid(new RegExp(`the program path .* contains ${problem}`)));
    }
  });
});

describe('Windows Task Scheduler task', () => {
  // How a Windows program splits the arguments of its command line (CommandLineToArgvW and the C runtime,
  // "Parsing C command-line arguments"): spaces and tabs separate unless inside "…"; 2n backslashes before
  // a " give n backslashes and the " toggles quoting; 2n+1 give n backslashes and a literal "; other
  // backslashes are literal.
  function windowsArgs(text: string): string[] {
    const args: string[] = [];
    let i = 0;
    for (;;) {
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i >= text.length) return args;
      let arg = '';
      let quoted = false;
      for (; i < text.length && (quoted || (text[i] !== ' ' && text[i] !== '\t')); i++) {
        let slashes = 0;
        for (; text[i] === '\\'; i++) slashes++;
        if (text[i] === '"') {
          arg += '\\'.repeat(slashes >> 1);
          if (slashes % 2) arg += '"';
          else quoted = !quoted;
        } else {
          arg += '\\'.repeat(slashes);
          if (i < text.length && (quoted || (text[i] !== ' ' && text[i] !== '\t'))) arg += text[i];
          else i--;
        }
      }
      args.push(arg);
    }
  }
  const canParse = have('python3');
  const values = ['C:\\Program Files\\Lifeboat\\resources\\app\\main\\cli\\bin.mjs', 'C:\\trailing dir\\', 'C:\\two\\\\', 'C:\\nospace\\', '\\\\server\\share\\a b', "it's", '$HOME', '${VAR}', 'a b', '&<>', 'é ü 日本 😀', '', ';', '^caret', '!bang!'];

  /** What cmd makes of one line of a batch file with delayed expansion off: %% is %, no variables are left to expand. */
  const batchLine = (line: string) => line.replaceAll('%%', '%');

  it.skipIf(!canParse)('the XML file as written (UTF-16) parses back to cmd running the batch file, whose command line splits back to the original values', async () => {
    const c: RunDueCommand = { executable: 'C:\\Program Files\\Life boat é\\Lifeboat.exe', args: [...values, '100%', '%USERPROFILE%'], dataDir: 'C:\\Users\\me\\AppData\\Roaming\\Life & boat %x', env: { ELECTRON_RUN_AS_NODE: '1' } };
    const scriptPath = 'C:\\Users\\me\\AppData\\Roaming\\Life & boat\\run-due.cmd';
    const file = path.join(root, 'task.xml');
    await writeFile(file, `\ufeff${windowsTaskXml(scriptPath, '2026-11-22T00:00:00', 'C:\\Windows')}`, 'utf16le'); // as installOsJob writes it
    const script = 'import json, sys, xml.etree.ElementTree as ET\nns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}\nr = ET.parse(sys.argv[1]).getroot()\nprint(json.dumps({"command": r.find(".//t:Command", ns).text, "arguments": r.find(".//t:Arguments", ns).text}))';
    const { stdout } = await run('python3', ['-c', script, file]);
    const task = JSON.parse(stdout);
    expect(task.command).toBe('C:\\Windows\\System32\\cmd.exe');
    // cmd /s /c: the outer quotes go, the rest runs as one quoted path.
    expect(task.arguments).toBe(`/d /s /c ""${scriptPath}""`);

    const lines = windowsRunDueScript(c).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toContain('setlocal DisableDelayedExpansion');
    expect(lines.filter((l) => l.startsWith('set ')).map(batchLine)).toEqual([`set "LIFEBOAT_HOME=${c.dataDir}"`, 'set "ELECTRON_RUN_AS_NODE=1"']);
    expect(windowsArgs(batchLine(lines.at(-2)!))).toEqual([c.executable, ...c.args, 'run-due']);
  });

  it('refuses control characters (tab too) and double quotes in the batch file; % in the task (Task Scheduler expands %NAME%)', () => {
    const ok: RunDueCommand = { executable: 'C:\\Lifeboat\\Lifeboat.exe', args: ['--cli'], dataDir: 'C:\\d' };
    for (const [problem, bad] of [...REFUSED_EVERYWHERE, ['a tab', 'a\tb'], ['a double quote', 'a"b']] as [string, string][]) {
      expect(() => windowsRunDueScript({ ...ok, args: ['--cli', bad] }), problem).toThrow(invalid(new RegExp(`Windows batch file: argument 2 of the command .* contains ${problem}`)));
      expect(() => windowsRunDueScript({ ...ok, executable: `C:\\${bad}\\L.exe` }), problem).toThrow(invalid(new RegExp(`the program path .* contains ${problem}`)));
      expect(() => windowsRunDueScript({ ...ok, dataDir: `C:\\${bad}` }), problem).toThrow(invalid(new RegExp(`the data folder \\(LIFEBOAT_HOME\\) .* contains ${problem}`)));
      expect(() => windowsTaskXml(`C:\\${bad}\\run-due.cmd`, 'x'), problem).toThrow(invalid(new RegExp(`Windows scheduled task: the run-due batch file path .* contains ${problem}`)));
    }
    for (const bad of ['100%', '%USERPROFILE%']) expect(() => windowsTaskXml(`C:\\${bad}\\run-due.cmd`, 'x')).toThrow(invalid(/contains a percent sign, which Task Scheduler would read as part of an environment variable/));
  });
});
