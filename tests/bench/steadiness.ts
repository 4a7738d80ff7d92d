// Whether the machine ran at one speed through a set's rounds. The bare tool does the same work in
// every round, so its CPU seconds (client + server) should repeat closely; on this VM they did not
// (the same bare pg_restore: 19.1 CPU-s in one run, 25.8 in the next, wall time alike, no steal time
// reported) — time the hypervisor takes away is counted as the guest's CPU time. A ratio measured
// across such rounds says more about the host than about Lifeboat: its verdict is UNSURE, not PASS or FAIL.

/** A steady machine repeats the same work within this factor (max / min of the rounds' CPU seconds). */
export const STEADY_SPREAD = 1.15;

export interface WorkCpuSpread {
  minS: number;
  maxS: number;
  /** maxS / minS. */
  spread: number;
}

/** The spread of the client's plus the server's CPU seconds over the runs of one command; null without both numbers for ≥ 2 runs. */
export function workCpuSpread(runs: { treeCpuS?: number; serverCpuS?: number }[]): WorkCpuSpread | null {
  const work = runs.filter((r) => typeof r.treeCpuS === 'number' && typeof r.serverCpuS === 'number').map((r) => r.treeCpuS! + r.serverCpuS!);
  if (work.length < 2 || Math.min(...work) <= 0) return null;
  const [minS, maxS] = [Math.min(...work), Math.max(...work)];
  return { minS, maxS, spread: maxS / minS };
}

/** Why a verdict cannot be given, when the baseline's rounds ran at different speeds; null when they did not. */
export function unsteadyReason(baseline: string, spread: WorkCpuSpread | null): string | null {
  if (!spread || spread.spread <= STEADY_SPREAD) return null;
  return `the machine's speed changed between rounds: ${baseline} took ${spread.minS.toFixed(1)}–${spread.maxS.toFixed(1)} CPU-s for the same work (${spread.spread.toFixed(2)}×; a steady machine repeats it within ${STEADY_SPREAD.toFixed(2)}×) — run the bench again`;
}

/** The target's verdict withdrawn (UNSURE) when its baseline ran unsteadily; the reason says what it would have been. */
export function judgedOnSteadyMachine<T extends { pass: boolean | null; unsure?: string }>(target: T, reason: string | null): T {
  return reason && target.pass !== null ? { ...target, pass: null, unsure: `${reason} (on these runs it would be ${target.pass ? 'PASS' : 'FAIL'})` } : target;
}
