// A profile on its way to a connection: when the job opened an SSH tunnel for it, the route through
// that tunnel rides along, so node-postgres and libpq connect to the tunnel's local end while
// certificates and messages keep the database's real name. Never stored: it lives as long as a job.
import type { LifeboatError } from '../errors.ts';
import type { Profile } from '../model/profile.ts';

export interface TunnelRoute {
  /** The tunnel's local end: 127.0.0.1 on this port. */
  port: number;
  /** "via bastion → db:5432". */
  description: string;
  /** Why the tunnel failed (dropped, or the bastion could not reach the database); null while all is well. */
  problem(): LifeboatError | null;
}

export type ConnectTarget = Profile & { tunnel?: TunnelRoute };

export const TUNNEL_HOSTADDR = '127.0.0.1';

/** Host and port to open a socket to: the tunnel's local end, or the profile's own. */
export function socketAddress(target: ConnectTarget): { host: string; port: number } {
  return target.tunnel ? { host: TUNNEL_HOSTADDR, port: target.tunnel.port } : { host: target.host, port: target.port };
}

/** The tunnel's own explanation wins over what a dropped connection looked like to the client. */
export function tunnelProblemOr(target: ConnectTarget, error: unknown): unknown {
  return target.tunnel?.problem() ?? error;
}
