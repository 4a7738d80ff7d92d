// The evidence a drill leaves: what crosses the engine's boundary (IPC, CLI --json, history files).
// Plain data, no behaviour: the model layer imports nothing but other model types.
import type { ErrorInfo } from './error.ts';

export interface DrillCheck {
  kind: 'restore' | 'integrity' | 'table' | 'objects' | 'canary';
  name: string;
  expected: string;
  actual: string;
  passed: boolean;
  note?: string;
}

export interface DrillRecord {
  id: string;
  passed: boolean;
  /** true when the drill itself could not run (no key, scratch would not start): no verdict on the backup. */
  couldNotRun: boolean;
  archive: { path: string; name: string; sha256: string | null };
  source: { profile: string | null; database: string | null; host: string | null; serverVersion: string | null; createdAt: string | null };
  scratch: { kind: 'embedded' | 'profile'; server: string; database: string; kept: boolean };
  startedAt: string;
  finishedAt: string;
  who: string;
  tools: { pg_restore: string | null; psql: string | null; scratchServer: string | null; lifeboat: string };
  checks: DrillCheck[];
  tolerated: string[];
  timings: { startMs: number; restoreMs: number; verifyMs: number; teardownMs: number; totalMs: number };
  error: ErrorInfo | null;
  reportFile: string | null;
}
