// What the benchmark reads of a lifeboat CLI run: the --json progress lines (when each phase began)
// and the process's own CPU and peak RSS, written by rss-probe.mjs on exit.
import { readFile } from 'node:fs/promises';

/** Seconds since the command started at which each progress phase was first seen. */
export function progressMarks(startedAt: () => number) {
  const marks: Record<string, number> = {};
  return {
    marks,
    onLine(line: string) {
      if (!line.startsWith('{"progress"')) return;
      const now = (performance.now() - startedAt()) / 1000;
      try {
        marks[(JSON.parse(line) as { progress: { phase: string } }).progress.phase] ??= now;
      } catch {
        // not a progress line
      }
    },
  };
}

/** The lifeboat process's own CPU seconds and peak RSS (MB), as rss-probe.mjs wrote them on its exit. */
export async function readProbe(file: string): Promise<{ nodeCpuS: number; nodeRssMb: number }> {
  const p = JSON.parse(await readFile(file, 'utf8')) as { maxRssKb: number; userS: number; systemS: number };
  return { nodeCpuS: p.userS + p.systemS, nodeRssMb: p.maxRssKb / 1024 };
}
