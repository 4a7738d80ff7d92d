// A tunnel as the rest of the engine sees it, without loading ssh2 (which only ssh-tunnel.ts needs).
import type { LifeboatError } from '../errors.ts';
import type { TunnelReport } from '../model/profile.ts';

export interface Tunnel {
  /** The local end: connect to 127.0.0.1 on this port. */
  readonly port: number;
  readonly report: TunnelReport;
  /** "via bastion → db:5432", for messages and the activity log. */
  readonly description: string;
  /** Why the tunnel failed the job, if it did (dropped, or the database refused to the bastion); null while all is well. */
  problem(): LifeboatError | null;
  close(): Promise<void>;
}

/** "via jump → bastion → db:5432". */
export function describeRoute(report: TunnelReport): string {
  return `via ${report.hops.map((h) => h.host + (h.port === 22 ? '' : `:${h.port}`)).join(' → ')} → ${report.target}`;
}
