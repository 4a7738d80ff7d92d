// Whether every CPU runs at its usual speed right now. On this VM one vCPU ran at 0.65× the
// other's speed for minutes at a time while the other stayed fast (a neighbour on the host; no
// steal time is reported, and the slowed time counts as the guest's own CPU time): the same bare
// pg_dump took 9.9 s or 14.5 s depending on the vCPU it landed on. Load averages and /proc/stat
// cannot see that; timing the same small job pinned to each CPU can. Runs wait for even CPUs and
// are measured again when a CPU slowed down during them (run-bench.ts).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The probe's job: hashing this many bytes (~40 ms on one of this VM's vCPUs at full speed). */
const PROBE_BYTES = 16 * 2 ** 20;
/** Each CPU's time is the best of this many jobs, so one preemption does not count as a slow CPU. */
const PROBE_REPEATS = 3;
/**
 * A CPU slower than its usual speed by more than this factor makes the machine uneven: runs wait
 * for it, and a run it happened to is measured again. (An idle machine's probes jitter up to ~1.14×.)
 */
export const EVEN_CPUS = 1.2;
/** How long to wait between probes while a CPU is slow. */
const RETRY_EVERY_MS = 2000;

export interface CpuProbe {
  /** The CPU numbers this process may run on (each is probed). */
  readonly cpus: number[];
  readonly file: string;
  /**
   * The fastest probe seen on any CPU so far (seconds). One reference for all CPUs, so CPUs that
   * differ from each other count as uneven (a vCPU the host slows); on a machine whose cores differ
   * by design (performance and efficiency cores) every run would wait, and the notes say so.
   */
  referenceS: number;
}

/** A CPU list as in /proc/self/status's Cpus_allowed_list ("0-3,8,10-11") → [0, 1, 2, 3, 8, 10, 11]. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',').filter(Boolean)) {
    const [from, to] = part.split('-').map((n) => Number.parseInt(n, 10));
    if (from === undefined || !Number.isInteger(from) || (to !== undefined && !Number.isInteger(to))) throw new Error(`not a CPU list: ${list}`);
    for (let cpu = from; cpu <= (to ?? from); cpu++) cpus.push(cpu);
  }
  return cpus;
}

function allowedCpus(): number[] | null {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
  return line ? parseCpuList(line.slice(line.indexOf(':') + 1)) : null;
}

/** Seconds the probe's job takes pinned to one CPU (best of PROBE_REPEATS). */
async function timeOn(probe: CpuProbe, cpu: number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < PROBE_REPEATS; i++) {
    const t0 = performance.now();
    await execFileAsync('taskset', ['-c', String(cpu), 'sha256sum', probe.file]);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

/** Each CPU's probe time over the fastest any CPU has run it (1 = as fast as that; 1.5 = a third slower). */
export async function cpuSlowdowns(probe: CpuProbe): Promise<number[]> {
  const times: number[] = [];
  for (const cpu of probe.cpus) times.push(await timeOn(probe, cpu));
  probe.referenceS = Math.min(probe.referenceS, ...times);
  return times.map((t) => t / probe.referenceS);
}

/**
 * A probe of this machine's CPUs, calibrated by a few rounds; null where it cannot work (no
 * taskset or sha256sum, not Linux) — the bench then runs without it, as before.
 */
export async function createCpuProbe(dir: string): Promise<CpuProbe | null> {
  const cpus = process.platform === 'linux' ? allowedCpus() : null;
  if (!cpus?.length) return null;
  const file = path.join(dir, 'cpu-probe.bin');
  writeFileSync(file, randomBytes(PROBE_BYTES));
  const probe: CpuProbe = { cpus, file, referenceS: Infinity };
  try {
    for (let round = 0; round < 3; round++) await cpuSlowdowns(probe);
  } catch {
    return null;
  }
  return probe;
}

/**
 * Probes until every CPU runs within `allowed` of the reference, or `maxS` has passed (plus the last
 * probe, ~0.3 s); returns the seconds waited and the slowest CPU's slowdown at the last probe.
 */
export async function waitForEvenCpus(probe: CpuProbe, allowed: number, maxS: number): Promise<{ waitedS: number; slowdown: number }> {
  const started = performance.now();
  for (;;) {
    const slowdown = Math.max(...(await cpuSlowdowns(probe)));
    const waitedS = (performance.now() - started) / 1000;
    if (slowdown <= allowed || waitedS >= maxS) return { waitedS, slowdown };
    await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
  }
}
