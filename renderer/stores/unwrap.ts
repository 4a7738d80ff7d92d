// IpcResult → value, or a thrown ApiError carrying what the engine said (code, message, fix).
import type { ErrorCode, ErrorInfo, HostKeyOffer, IpcResult } from '../../main/ipc/contract.ts';

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly fix: string | undefined;
  /** Kept so an SSH host-key refusal can still open the trust dialog. */
  readonly hostKey: HostKeyOffer | undefined;

  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'ApiError';
    this.code = info.code;
    this.fix = info.fix;
    this.hostKey = info.hostKey;
  }

  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      ...(this.fix ? { fix: this.fix } : {}),
      ...(this.hostKey ? { hostKey: this.hostKey } : {}),
    };
  }
}

export function unwrap<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw new ApiError(result.error);
}

/** Anything caught → something to show: message + fix. A broken bridge becomes INTERNAL, not a blank screen. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof ApiError) return error.toInfo();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: `Unexpected error: ${message}`, fix: 'Restart Lifeboat; if it happens again, please report it with the steps that led to it.' };
}

/** The one place the renderer reaches the preload API. */
export function api(): Window['api'] {
  return window.api;
}
