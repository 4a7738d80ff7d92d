// A running job's progress, as the CLI and the renderer see it.
// Plain data, no behaviour: the model layer imports nothing but other model types.

/** download: a remote archive fetched from a destination (into a folder, or a private temporary one for a restore or drill). */
export type JobKind = 'backup' | 'verify' | 'restore' | 'drill' | 'copy' | 'download';

export interface JobProgress {
  jobId: string;
  kind: JobKind;
  /** Short phase name shown as the step ("Dumping", "Encrypting"…). */
  phase: string;
  /** 0..1, or null while unknown. */
  fraction: number | null;
  bytes: number;
  bytesPerSecond: number | null;
  etaSeconds: number | null;
  currentItem: string | null;
  message: string | null;
}
