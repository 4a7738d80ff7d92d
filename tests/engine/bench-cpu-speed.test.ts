// The bench's CPU speed probe (tests/bench/cpu-speed.ts): a CPU that another busy process shares
// runs the probe's job markedly slower, and the probe says so — the same way a host's neighbour
// slows one of this VM's vCPUs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuSlowdowns, createCpuProbe, EVEN_CPUS, parseCpuList, waitForEvenCpus } from '../bench/cpu-speed.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeboat-cpu-probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench CPU speed probe', () => {
  it('reads the kernel\'s CPU lists', () => {
    expect(parseCpuList('0-1\n')).toEqual([0, 1]);
    expect(parseCpuList('0-3,8,10-11')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('5')).toEqual([5]);
    expect(() => parseCpuList('x-1')).toThrow(/not a CPU list/);
  });

  it.runIf(process.platform === 'linux')('finds a CPU that a busy process shares', { timeout: 60_000 }, async () => {
    const probe = await createCpuProbe(dir);
    expect(probe).not.toBeNull();
    expect(probe!.cpus.length).toBeGreaterThan(0);
    expect(probe!.cpus.length).toBeLessThanOrEqual(os.cpus().length);
    // Compared with the same CPU just before: a host may slow one CPU too (by up to 1.5× here).
    const alone = (await cpuSlowdowns(probe!)).at(-1)!;
    // Three busy loops on the CPU: the job gets about a quarter of it, still well under half when
    // other tests (npm test runs files in parallel) keep that CPU busy too.
    // Each in a process group of its own, killed as a group (timeout runs the loop as its child),
    // and ending by itself within 15 s should this test's process die first.
    const hogs = [1, 2, 3].map(() => spawn('timeout', ['-s', 'KILL', '15', 'taskset', '-c', String(probe!.cpus.at(-1)), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore', detached: true }));
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const shared = (await cpuSlowdowns(probe!)).at(-1)!;
      expect(shared / alone).toBeGreaterThan(1.4);
      expect(shared).toBeGreaterThan(EVEN_CPUS);
      // An uneven machine is waited for no longer than asked, and said to be uneven.
      const t0 = performance.now();
      const waited = await waitForEvenCpus(probe!, EVEN_CPUS, 0);
      expect(waited.slowdown).toBeGreaterThan(EVEN_CPUS);
      expect(performance.now() - t0).toBeLessThan(10_000);
    } finally {
      for (const hog of hogs) process.kill(-hog.pid!, 'SIGKILL');
      await Promise.all(hogs.map((hog) => new Promise((resolve) => (hog.exitCode !== null || hog.signalCode !== null ? resolve(null) : hog.once('exit', resolve)))));
    }
  });
});
