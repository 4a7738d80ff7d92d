// A throwaway D-Bus session bus with an unlocked gnome-keyring for `npm test` on Linux: the keychain
// tests talk to a real Secret Service, never the user's own.
//
// gnome-keyring-daemon has an upstream crash (gkd_secret_service_get_pkcs11_session: assertion
// 'client' failed → g_variant_new aborts; GNOME gitlab gnome-keyring#190/#196/#199) when a client's
// request races with its disconnect — our tests start and kill many short-lived CLI processes. On the
// stock session bus D-Bus then activates a fresh, *locked* daemon and every later keychain test fails
// ("unlock prompt was dismissed"). So this bus has no service activation at all, and a supervisor
// restarts the daemon unlocked (same keyring files, same password) the moment it dies.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const PASSWORD = 'lifeboat-test';
const SECRETS_NAME = 'org.freedesktop.secrets';

// A session bus like Debian's session.conf minus <standard_session_servicedirs/>: nothing is activated.
function busConfig(home) {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=${home}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

async function startBus(home) {
  const config = path.join(home, 'session-bus.conf');
  writeFileSync(config, busConfig(home), { mode: 0o600 });
  const bus = spawn('dbus-daemon', ['--config-file', config, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Not root's business here: an unprivileged bus cannot raise its fd limit, and says so on every start.
  bus.stderr.on('data', (chunk) => {
    const text = String(chunk).split('\n').filter((line) => line && !line.includes('Failed to set fd limit')).join('\n');
    if (text) process.stderr.write(`${text}\n`);
  });
  const address = await new Promise((resolve, reject) => {
    let text = '';
    bus.stdout.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.trim());
    });
    bus.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code}) before it printed its address`)));
  });
  return { bus, address };
}

function secretsOwned(env) {
  const probe = spawnSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${SECRETS_NAME}`], { env, encoding: 'utf8' });
  return probe.status === 0 && /boolean true/.test(probe.stdout);
}

async function waitForSecrets(env, what) {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (secretsOwned(env)) return;
    await sleep(50);
  }
  throw new Error(`the test keyring did not come up (${what})`);
}

/** Keeps one unlocked gnome-keyring-daemon on the bus until stop() is called. */
function superviseKeyring(env) {
  let stopping = false;
  let daemon = null;
  let restarts = 0;
  const start = () => {
    daemon = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env, stdio: ['pipe', 'ignore', 'inherit'] });
    daemon.stdin.end(PASSWORD);
    daemon.once('exit', (code, signal) => {
      if (stopping) return;
      restarts++;
      console.error(`run-tests: the test keyring daemon died (${signal ?? `exit ${code}`}); restarting it unlocked (restart ${restarts})`);
      if (restarts > 20) return console.error('run-tests: the test keyring keeps dying; giving up restarting it');
      setTimeout(start, 20);
    });
  };
  start();
  return {
    stop() {
      stopping = true;
      daemon?.kill('SIGTERM');
    },
  };
}

/** Starts the bus and the keyring; returns the environment for the tests and a stop function. */
export async function startTestKeyring(home, baseEnv) {
  const { bus, address } = await startBus(home);
  const env = { ...baseEnv, DBUS_SESSION_BUS_ADDRESS: address, XDG_DATA_HOME: home, XDG_RUNTIME_DIR: home };
  const keyring = superviseKeyring(env);
  await waitForSecrets(env, 'at start');
  return {
    env,
    stop() {
      keyring.stop();
      bus.kill('SIGTERM');
    },
  };
}
