// Opens a profile's SSH tunnel for one job: its hops' secrets from the keychain, host keys checked
// against the known_hosts files, the tunnel closed when the job ends however it ends. The same
// route code connects an SFTP destination's hops (connect), in this thread: SFTP talks to the last
// hop's own session instead of a forwarded port.
import { LifeboatError } from '../errors.ts';
import type { Profile, SshHop, SshSettings } from '../model/profile.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { ConnectTarget } from './connect-target.ts';
import type { ChainOptions, ConnectedHop } from './ssh-chain.ts';
import type { HostKeyTrust } from './host-key-trust.ts';
import { describeRoute, type Tunnel } from './ssh-route.ts';

/** What a job lends its tunnel: cancellation, and a place to close it and explain a failure. */
export interface TunnelScope {
  signal: AbortSignal;
  defer(cleanup: () => Promise<void> | void): void;
  explainFailure(explain: (error: unknown) => unknown): void;
}

/**
 * The keychain account of one hop's password or key passphrase, bound to that hop as reached: its
 * user@host:port after the hops before it (10.0.0.5 behind one gateway is not 10.0.0.5 behind
 * another). Moving, reordering or re-routing a hop leaves its old secret behind, never offered elsewhere.
 */
export function sshAccount(profileId: string, ssh: SshSettings, hop: SshHop): string {
  return routeAccount(profileRouteOwner(profileId), ssh, hop);
}

/** Whose SSH route a keychain account belongs to: a profile's tunnel. */
export function profileRouteOwner(profileId: string): string {
  return `ssh:${profileId}`;
}

/** The keychain account of a hop of `owner`'s route ("ssh:<profile id>", "sftp:<destination id>"), bound as sshAccount's. */
export function routeAccount(owner: string, ssh: SshSettings, hop: SshHop): string {
  const hops = sshHops(ssh);
  const upTo = hops.slice(0, hops.findIndex((h) => h === hop || sameHop(h, hop)) + 1);
  return `${owner}:${upTo.map(hopIdentity).join('>')}`;
}

/** The whole route, for binding a database password to the server it reaches. */
export function sshRouteIdentity(ssh: SshSettings): string {
  return sshHops(ssh).map(hopIdentity).join('>');
}

function hopIdentity(hop: Pick<SshHop, 'user' | 'host' | 'port'>): string {
  return `${hop.user}@${hop.host}:${hop.port}`;
}

function sameHop(a: SshHop, b: SshHop): boolean {
  return hopIdentity(a) === hopIdentity(b);
}

/** The hops in the order they are connected to: the jumps, then the bastion. */
export function sshHops(ssh: SshSettings): SshHop[] {
  const { jumps, keepAliveSeconds: _keepAlive, ...bastion } = ssh;
  return [...jumps, bastion];
}

/** "via jump → bastion → db:5432" as the profile is set up, or null without SSH. */
export function describeSshRoute(profile: Profile): string | null {
  if (!profile.ssh) return null;
  return describeRoute({ hops: sshHops(profile.ssh).map((hop) => ({ ...hop, latencyMs: 0 })), target: `${profile.host}:${profile.port}` });
}

/** `acceptHostKeys`: fingerprints a person has just accepted (never passed by unattended runs). */
export interface RouteOptions {
  signal?: AbortSignal;
  acceptHostKeys?: readonly string[];
  /**
   * Per hop in connection order, instead of the keychain: a string is that hop's secret, null none,
   * undefined the saved one. For a route tested before it is saved (the add/edit form's test).
   */
  secrets?: readonly (string | null | undefined)[];
}

export class TunnelService {
  readonly #secrets: SecretStore;
  readonly #trust: HostKeyTrust;
  readonly #agentSocket: () => string | undefined;

  constructor(deps: { secrets: SecretStore; trust: HostKeyTrust; agentSocket?: () => string | undefined }) {
    this.#secrets = deps.secrets;
    this.#trust = deps.trust;
    this.#agentSocket = deps.agentSocket ?? defaultAgentSocket;
  }

  /** Opens the tunnel; `acceptHostKeys` are fingerprints a person has just accepted (never passed by unattended runs). */
  async open(profile: Profile, options: RouteOptions = {}): Promise<Tunnel> {
    const ssh = profile.ssh;
    if (!ssh) throw new LifeboatError('INTERNAL', `Profile "${profile.name}" has no SSH tunnel.`);
    const chain = await this.#chain(profileRouteOwner(profile.id), ssh, options);
    // Loaded on first use: most runs never open a tunnel. ssh2 itself loads only in the tunnel's thread.
    const { openTunnelInWorker } = await import('./tunnel-thread.ts');
    return openTunnelInWorker({ ...chain, target: { host: profile.host, port: profile.port } });
  }

  /**
   * Connects every hop of `owner`'s route in this thread (the caller ends the clients), with the
   * same secrets, host-key trust and agent as a tunnel. `settings` names where the user sets the
   * logins up, for the fixes of login errors.
   */
  async connect(owner: string, ssh: SshSettings, options: RouteOptions & { settings?: string } = {}): Promise<ConnectedHop[]> {
    const chain = await this.#chain(owner, ssh, options);
    // ssh2 loads here only when an SFTP destination is used.
    const { connectChain } = await import('./ssh-chain.ts');
    return connectChain({ ...chain, ...(options.settings ? { settings: options.settings } : {}) });
  }

  async #chain(owner: string, ssh: SshSettings, options: RouteOptions): Promise<ChainOptions> {
    const given = options.secrets ?? [];
    const hops = await Promise.all(sshHops(ssh).map(async (hop, i) => ({ hop, secret: given[i] !== undefined ? given[i] : await this.#secrets.get(routeAccount(owner, ssh, hop)) })));
    const accept = options.acceptHostKeys ?? [];
    return {
      hops,
      verifyHostKey: (hop, key) => this.#trust.verify(hop, key, accept),
      knownKeyTypes: (hop) => this.#trust.knownKeyTypes(hop),
      keepAliveSeconds: ssh.keepAliveSeconds,
      agentSocket: this.#agentSocket(),
      ...(options.signal ? { signal: options.signal } : {}),
    };
  }

  /**
   * The profile ready to connect within a job: unchanged without SSH; with SSH, routed through a
   * tunnel opened now and closed when the job ends, which also explains the job's failure if the
   * tunnel dropped under it.
   */
  async route(profile: Profile, scope: TunnelScope | undefined): Promise<ConnectTarget> {
    if (!profile.ssh) return profile;
    // A tunnel must be closed by someone: only a job (or a scope made for one call) can promise that.
    if (!scope) throw new LifeboatError('INTERNAL', `Profile "${profile.name}" connects through SSH, and this step has no job to carry its tunnel.`, 'Please report this with the steps that led to it.');
    const tunnel = await this.open(profile, { signal: scope.signal });
    scope.defer(() => tunnel.close());
    scope.explainFailure((error) => explainWithTunnel(tunnel, error));
    return { ...profile, tunnel: { port: tunnel.port, description: tunnel.description, problem: () => tunnel.problem() } };
  }
}

/** The tunnel's problem, carrying what the job itself said happened (e.g. what a failed restore left as it was). */
function explainWithTunnel(tunnel: Tunnel, error: unknown): unknown {
  const problem = tunnel.problem();
  if (!problem || (error instanceof LifeboatError && error.code === problem.code)) return undefined;
  const said = error instanceof Error ? ` ${error.message}` : '';
  return new LifeboatError(problem.code, `${problem.message}${said}`, problem.fix, { cause: error });
}

function defaultAgentSocket(): string | undefined {
  // Pageant is how Windows users run an agent; ssh2 speaks to it by this name.
  return process.env.SSH_AUTH_SOCK || (process.platform === 'win32' ? 'pageant' : undefined);
}
