// Loaded with `node --import` into the measured `lifeboat` process (the CLI itself is unchanged):
// on exit it writes this process's own peak RSS and CPU time to $LIFEBOAT_BENCH_PROBE_FILE.
// resourceUsage() is getrusage(RUSAGE_SELF): maxRSS is the kernel's high-water mark of this
// process alone (VmHWM); pg_dump and the other children are not included. Plain JavaScript, so
// loading it costs nothing extra (no type stripping before the CLI needs it).
import { writeFileSync } from 'node:fs';

const file = process.env.LIFEBOAT_BENCH_PROBE_FILE;
if (file) {
  delete process.env.LIFEBOAT_BENCH_PROBE_FILE; // not handed down to pg_dump
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: usage.maxRSS, userS: usage.userCPUTime / 1e6, systemS: usage.systemCPUTime / 1e6 }));
  });
}
