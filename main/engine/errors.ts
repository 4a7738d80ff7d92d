import type { ErrorCode, ErrorInfo, HostKeyOffer } from './types.ts';

/** An error the user can act on: what went wrong, and what to do about it. */
export class LifeboatError extends Error {
  readonly code: ErrorCode;
  readonly fix: string | undefined;
  readonly hostKey: HostKeyOffer | undefined;

  constructor(code: ErrorCode, message: string, fix?: string, options?: { cause?: unknown; hostKey?: HostKeyOffer }) {
    super(message, options);
    this.name = 'LifeboatError';
    this.code = code;
    this.fix = fix;
    this.hostKey = options?.hostKey;
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

/** Turns anything thrown into plain data for the CLI and the renderer, never a stack trace. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof LifeboatError) return error.toInfo();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: `Unexpected error: ${message}`, fix: 'Please report this with the steps that led to it.' };
}

// Which error codes mean what, for the jobs that must tell "the file is bad" from "the job could not
// look". Three different questions, so three lists: none is a subset of another, and no code is both
// "could not run" and "a verdict on the backup".

/** A list of codes that cannot be changed at run time either. */
const frozenCodes = (...list: ErrorCode[]): readonly ErrorCode[] => Object.freeze(list);

/**
 * The job could not do its work, through no fault of the file: it was cancelled, no key or the wrong
 * key was at hand, or the PostgreSQL tools are missing or too old. A drill whose restore stops on one
 * of these could not run: it is no verdict on the backup.
 */
export const COULD_NOT_RUN_CODES: readonly ErrorCode[] = frozenCodes('CANCELLED', 'WRONG_KEY', 'NO_KEY', 'TOOL_NOT_FOUND', 'TOOL_TOO_OLD');

/**
 * The backup file itself is at fault: it is damaged or not an archive at all, its restore failed, or
 * the restored data did not verify. A drill that stops on one of these before any check was recorded
 * still judged the backup (it failed); on any other code it could not run.
 */
export const VERDICT_ON_THE_BACKUP_CODES: readonly ErrorCode[] = frozenCodes('ARCHIVE_DAMAGED', 'RESTORE_FAILED', 'VERIFY_FAILED', 'NOT_AN_ARCHIVE');

/**
 * The file could not be read at all, as opposed to read and found damaged or unsafe: no key or the
 * wrong key to decrypt it, no pg_restore to list it, not an archive, or no such file. Inspecting a
 * file passes these on as errors; any other error met while reading it is that file's problem.
 */
export const COULD_NOT_READ_FILE_CODES: readonly ErrorCode[] = frozenCodes('NO_KEY', 'WRONG_KEY', 'TOOL_NOT_FOUND', 'NOT_AN_ARCHIVE', 'FILE_NOT_FOUND');

/** Whether `code` (a LifeboatError's, an ErrorInfo's, or any text) is one of `codes`. */
export function isCodeIn(codes: readonly ErrorCode[], code: string): boolean {
  return (codes as readonly string[]).includes(code);
}
