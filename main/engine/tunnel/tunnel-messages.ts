// What the main thread and the tunnel's worker thread say to each other. Errors cross as ErrorInfo
// (a LifeboatError's data) and become LifeboatErrors again on the other side.
import { LifeboatError } from '../errors.ts';
import type { ErrorInfo } from '../model/error.ts';
import type { SshHop, TunnelReport } from '../model/profile.ts';
import type { HopLogin } from './ssh-chain.ts';

/** Main → worker. */
export type ToWorker =
  | { type: 'open'; hops: HopLogin[]; target: { host: string; port: number }; keepAliveSeconds: number; agentSocket: string | undefined }
  | { type: 'answer'; id: number; error: ErrorInfo | null; types?: string[] }
  | { type: 'close' };

/** Worker → main. */
export type FromWorker =
  | { type: 'ask'; id: number; question: 'verify'; hop: SshHop; key: Uint8Array }
  | { type: 'ask'; id: number; question: 'types'; hop: SshHop }
  | { type: 'ready'; port: number; report: TunnelReport; description: string }
  | { type: 'failed'; error: ErrorInfo }
  | { type: 'problem'; error: ErrorInfo }
  | { type: 'closed' };

export function fromInfo(info: ErrorInfo): LifeboatError {
  return new LifeboatError(info.code, info.message, info.fix, info.hostKey ? { hostKey: info.hostKey } : undefined);
}
