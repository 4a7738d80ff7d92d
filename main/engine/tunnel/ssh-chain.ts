// The SSH connections of a tunnel: the first hop over TCP, every further hop through a channel the
// previous hop opened (ProxyJump), each host key checked before any login is sent.
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2'; // CommonJS: no named imports of values
import { LifeboatError } from '../errors.ts';
import type { SshHop } from '../model/profile.ts';
import { hopLabel, loginOptions, refusedLogin } from './ssh-hop-login.ts';

/** Seconds to wait for a hop's SSH greeting and login. */
const READY_TIMEOUT_MS = 15_000;

export interface HopLogin {
  hop: SshHop;
  /** Its password or key passphrase (null: none saved). */
  secret: string | null;
}

export interface ChainOptions {
  hops: HopLogin[];
  /** Resolves when the key is trusted; rejects with the LifeboatError to show otherwise. */
  verifyHostKey(hop: SshHop, keyBlob: Buffer): Promise<void>;
  /** Host key types already known for the hop, offered first (as OpenSSH does), so a known host is not asked about another key type. */
  knownKeyTypes(hop: SshHop): Promise<string[]>;
  keepAliveSeconds: number;
  agentSocket: string | undefined;
  signal?: AbortSignal;
  /** Where the user sets the hops' logins up, for the fixes of login errors (a profile's SSH section by default). */
  settings?: string;
}

export interface ConnectedHop {
  hop: SshHop;
  client: Client;
  latencyMs: number;
}

/** Connects every hop in order; on any failure the hops already connected are closed again. */
export async function connectChain(options: ChainOptions): Promise<ConnectedHop[]> {
  const connected: ConnectedHop[] = [];
  try {
    for (const [index, login] of options.hops.entries()) {
      options.signal?.throwIfAborted();
      const previous = connected[index - 1];
      const sock = previous ? await openChannel(previous, login.hop.host, login.hop.port, 'hop') : undefined;
      connected.push(await connectHop(login, sock, options));
    }
    return connected;
  } catch (error) {
    for (const { client } of connected.reverse()) client.end();
    throw error;
  }
}

/** A direct-tcpip channel from `from` to host:port, with the refusals told apart. */
export function openChannel(from: ConnectedHop, host: string, port: number, what: 'hop' | 'database'): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    from.client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
      if (error) reject(channelRefusal(from.hop, host, port, what, error));
      else resolve(channel);
    });
  });
}

function channelRefusal(from: SshHop, host: string, port: number, what: 'hop' | 'database', error: Error & { reason?: number }): LifeboatError {
  const target = `${host}:${port}`;
  // RFC 4254 §5.1: 1 = administratively prohibited (sshd's AllowTcpForwarding no, PermitOpen), 2 = connect failed.
  if (error.reason === 1) {
    return new LifeboatError('SSH_FORWARDING_REFUSED', `SSH host ${hopLabel(from)} does not allow forwarding to ${target} (${error.message}).`, `Ask its administrator to set "AllowTcpForwarding yes" (or a PermitOpen that includes ${target}) in sshd_config for user ${from.user}.`, { cause: error });
  }
  const whatName = what === 'database' ? 'The database server' : 'The next SSH host';
  const fix = what === 'database'
    ? `Check the profile's host and port: they are the database as ${from.host} sees it (often a private address, or localhost when PostgreSQL runs on the bastion itself). Check that PostgreSQL listens there.`
    : `Check the jump host's address as ${from.host} sees it, and that sshd runs there.`;
  return new LifeboatError(what === 'database' ? 'SSH_TARGET_UNREACHABLE' : 'SSH_UNREACHABLE', `${whatName} ${target} cannot be reached from SSH host ${hopLabel(from)} (${error.message}).`, fix, { cause: error });
}

async function connectHop(login: HopLogin, sock: Duplex | undefined, options: ChainOptions): Promise<ConnectedHop> {
  const { hop } = login;
  const auth = await loginOptions(hop, login.secret, options.agentSocket, options.settings);
  const preferred = await options.knownKeyTypes(hop);
  const client = new ssh2.Client();
  let refusedKey: unknown = null;
  const config: ConnectConfig = {
    ...(sock ? { sock } : { host: hop.host, port: hop.port }),
    username: hop.user,
    readyTimeout: READY_TIMEOUT_MS,
    keepaliveInterval: options.keepAliveSeconds * 1000,
    keepaliveCountMax: 3,
    ...auth,
    hostVerifier: (key: Buffer, verified: (ok: boolean) => void) => {
      options.verifyHostKey(hop, key).then(() => verified(true), (error: unknown) => {
        refusedKey = error;
        verified(false);
      });
    },
    ...(preferred.length ? { algorithms: { serverHostKey: hostKeyOrder(preferred) } } : {}),
  };
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => options.signal?.removeEventListener('abort', onAbort);
    client.once('ready', () => { done(); resolve(); });
    client.once('error', (error: Error & { level?: string; code?: string }) => { done(); reject(refusedKey ?? explainHopError(hop, error, options.settings)); });
    // A server that hangs up after its greeting gives only 'close' (and ssh2 stops its ready timer then).
    client.once('close', () => { done(); reject(refusedKey ?? closedBeforeLogin(hop)); });
    client.connect(config);
    // No Nagle on the hop's TCP socket: pg_dump's catalog queries are hundreds of small round trips,
    // and each would otherwise wait for a delayed ACK (~40 ms). (A jump's channel has no socket option.)
    client.setNoDelay(true);
  }).catch((error: unknown) => {
    client.end();
    throw error;
  });
  client.on('error', () => {}); // after login, a drop is seen through 'close' by the tunnel
  return { hop, client, latencyMs: Math.round(performance.now() - started) };
}

/** ssh2's default host key algorithms, the known types first. */
function hostKeyOrder(known: string[]): NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']> {
  const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] as const;
  const wanted = new Set(known.flatMap((type) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type])));
  return [...all.filter((a) => wanted.has(a)), ...all.filter((a) => !wanted.has(a))];
}

function closedBeforeLogin(hop: SshHop): LifeboatError {
  return new LifeboatError('SSH_UNREACHABLE', `SSH host ${hopLabel(hop)} closed the connection before the login finished.`, `Check that ${hop.host}:${hop.port} is an SSH server that accepts you (its sshd log says why it hung up: MaxStartups, AllowUsers, a firewall or fail2ban).`);
}

function explainHopError(hop: SshHop, error: Error & { level?: string; code?: string }, settings: string | undefined): LifeboatError {
  const where = hopLabel(hop);
  const cause = { cause: error };
  if (error.level === 'client-authentication') return refusedLogin(hop, settings);
  if (error.level === 'client-dns') {
    return new LifeboatError('SSH_UNREACHABLE', `The SSH host name "${hop.host}" could not be resolved.`, 'Check the spelling of the SSH host, or use its IP address.', cause);
  }
  if (error.level === 'client-timeout') {
    return new LifeboatError('SSH_UNREACHABLE', `No SSH answer from ${where} within ${READY_TIMEOUT_MS / 1000} s.`, `Check the SSH host and port, your network or VPN, and firewalls between this computer and ${hop.host}.`, cause);
  }
  if (error.code === 'ECONNREFUSED') {
    return new LifeboatError('SSH_UNREACHABLE', `Nothing accepts SSH connections at ${hop.host}:${hop.port} (connection refused).`, `Check that sshd runs on ${hop.host} and listens on port ${hop.port}.`, cause);
  }
  return new LifeboatError('SSH_UNREACHABLE', `Could not connect to SSH host ${where}: ${error.message}.`, `Check the SSH host, port and your network; "ssh -p ${hop.port} ${hop.user}@${hop.host}" should connect from this computer.`, cause);
}
