// The bench's steadiness check (tests/bench/steadiness.ts): a target measured while the machine
// changed speed between rounds gets no verdict, with the numbers that show why.
import { describe, expect, it } from 'vitest';
import type { Target } from '../bench/bench-report.ts';
import { judgedOnSteadyMachine, STEADY_SPREAD, unsteadyReason, workCpuSpread } from '../bench/steadiness.ts';

describe('bench steadiness', () => {
  const target: Target = { id: 't', description: 'x', value: 1.05, threshold: '≤ 1.10', pass: true, detail: '' };

  it('keeps the verdict when the bare work took the same CPU time in every round', () => {
    const spread = workCpuSpread([{ treeCpuS: 1.9, serverCpuS: 18.2 }, { treeCpuS: 1.9, serverCpuS: 19.1 }, { treeCpuS: 2.0, serverCpuS: 18.6 }]);
    expect(spread!.spread).toBeLessThan(STEADY_SPREAD);
    expect(judgedOnSteadyMachine(target, unsteadyReason('the bare pg_restore', spread))).toEqual(target);
  });

  it('withdraws it when the same work took 40 % more CPU time in one round (the VM ran slower)', () => {
    const spread = workCpuSpread([{ treeCpuS: 1.9, serverCpuS: 18.1 }, { treeCpuS: 2.1, serverCpuS: 25.8 }, { treeCpuS: 2.0, serverCpuS: 25.9 }]);
    const judged = judgedOnSteadyMachine(target, unsteadyReason('the bare pg_restore', spread));
    expect(judged.pass).toBeNull();
    expect(judged.unsure).toMatch(/the bare pg_restore took 20\.0–27\.9 CPU-s for the same work \(1\.40×/);
    // A target that does not apply stays skipped, not unsure.
    expect(judgedOnSteadyMachine({ ...target, pass: null }, judged.unsure!).unsure).toBeUndefined();
  });

  it('says nothing without the CPU numbers of at least two runs', () => {
    expect(workCpuSpread([{ treeCpuS: 2, serverCpuS: 18 }])).toBeNull();
    expect(workCpuSpread([{ serverCpuS: 18 }, { serverCpuS: 25 }])).toBeNull();
    expect(unsteadyReason('x', null)).toBeNull();
  });
});
