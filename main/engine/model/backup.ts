// What a backup gives back.
// Plain data, no behaviour: the model layer imports nothing but other model types.
import type { ArchiveSidecar } from './archive.ts';

export interface BackupResult {
  archive: string;
  /** The profile backed up (its offsite destinations receive copies). */
  profileId: string;
  sidecar: ArchiveSidecar;
  sha256: string;
  bytes: number;
  tables: number;
  totalRows: number | null;
  durationMs: number;
  notes: string[];
  /** True when this backup created Lifeboat's key: the user must export the recovery key. */
  keyCreated: boolean;
}
