// What a restore is asked for and what it gives back: their own module, so the service and its steps
// (restore-stream.ts, restore-parallel.ts, restore-verify.ts…) share them without importing each other.
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import type { EncryptionChoice } from '../keys/key-service.ts';
import type { Profile } from '../types.ts';
import type { Inspection } from './inspection.ts';
import type { PreflightOptions } from './restore-inspect.ts';
export type { RestoreResult, TableCheck } from '../model/restore.ts';

export interface RestoreRequest extends PreflightOptions {
  file: string;
  /** Parallel pg_restore jobs. Above 1 the archive is first decrypted into a private temporary file (deleted afterwards). */
  jobs?: number;
  profile: string;
  keys?: AgeKeys;
  /** How the safety backup before a replace is encrypted (default: as in Settings). */
  safetyBackupEncryption?: EncryptionChoice;
  /** A server that is not a saved profile (a drill's embedded scratch server). */
  target?: { profile: Profile; password: string | null };
  /** 'report' (drills): row-count mismatches are returned instead of failing the restore. */
  verify?: 'strict' | 'report';
  /** An inspection already made (a drill reads the archive once for both). */
  inspection?: Inspection;
  /**
   * More checks of the restored database (drills: object counts, canaries), made before it is handed
   * over, as the role that restored it (the temporary role for a stranger's file).
   */
  checkRestored?: (db: { profile: Profile; password: string | null; database: string }) => Promise<void>;
}
