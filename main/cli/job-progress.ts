// A job on the command line: progress on stderr (a live line on a terminal, JSON lines with --json),
// Ctrl-C cancels it.
import type { Job, JobProgress } from '../engine/jobs/job.ts';
import { visibleText } from '../engine/name-text.ts';
import { formatBytes, jsonText, type Output } from './cli-output.ts';

/** Shows progress on stderr (a live line on a terminal, JSON lines with --json), cancels on Ctrl-C. */
export async function runWithProgress<R>(job: Job<R>, out: Output): Promise<R> {
  const tty = process.stderr.isTTY && !out.json;
  let lastLine = 0;
  const unsubscribe = job.onProgress((p) => {
    if (out.json) {
      process.stderr.write(`${jsonText({ progress: p })}\n`);
      return;
    }
    const now = Date.now();
    if (!tty && now - lastLine < 5000 && p.fraction !== 1) return;
    lastLine = now;
    // The current item is a table or object name from the file: no escape sequence reaches the terminal.
    const line = visibleText(describeProgress(p));
    process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  });
  const onSigint = () => {
    process.stderr.write('\nlifeboat: cancelling…\n');
    job.cancel();
  };
  process.once('SIGINT', onSigint);
  try {
    return await job.result;
  } finally {
    unsubscribe();
    process.removeListener('SIGINT', onSigint);
    if (tty) process.stderr.write('\r\x1b[2K');
  }
}

function describeProgress(p: JobProgress): string {
  const percent = p.fraction === null ? '' : `${(p.fraction * 100).toFixed(0).padStart(3)}% `;
  const speed = p.bytesPerSecond ? ` ${formatBytes(p.bytesPerSecond)}/s` : '';
  const eta = p.etaSeconds !== null ? ` ETA ${p.etaSeconds}s` : '';
  return `${percent}${p.phase}${p.currentItem ? ` ${p.currentItem}` : ''} ${formatBytes(p.bytes)}${speed}${eta}`;
}
