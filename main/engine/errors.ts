import type { ErrorCode, ErrorInfo } from './types.ts';

/** An error the user can act on: what went wrong, and what to do about it. */
export class LifeboatError extends Error {
  readonly code: ErrorCode;
  readonly fix: string | undefined;

  constructor(code: ErrorCode, message: string, fix?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LifeboatError';
    this.code = code;
    this.fix = fix;
  }

  toInfo(): ErrorInfo {
    return this.fix ? { code: this.code, message: this.message, fix: this.fix } : { code: this.code, message: this.message };
  }
}

/** Turns anything thrown into plain data for the CLI and the renderer, never a stack trace. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof LifeboatError) return error.toInfo();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: `Unexpected error: ${message}`, fix: 'Please report this with the steps that led to it.' };
}
