// A debounced question to main whose answers count only while they are the newest: the Restore
// checklist and the retention preview both follow what the user is typing. Every request() (and
// cancel()) makes whatever is waiting or in flight stale, so a slow answer for older inputs never
// overwrites the answer for newer ones.
import type { ErrorInfo } from '../../main/ipc/contract.ts';
import { toErrorInfo } from './unwrap.ts';

export type LatestAnswer<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export interface LatestOnly<T> {
  /** After `delayMs`, calls `ask`; what it returns (or throws) reaches the handler unless a later request() or cancel() came first. */
  request(ask: () => Promise<T>, delayMs: number): void;
  /** Drops whatever is waiting or in flight. */
  cancel(): void;
}

export function latestOnly<T>(onAnswer: (answer: LatestAnswer<T>) => void): LatestOnly<T> {
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    ++seq;
  };

  const request = (ask: () => Promise<T>, delayMs: number) => {
    cancel();
    const mine = seq;
    timer = setTimeout(() => {
      timer = null;
      ask().then(
        (value) => {
          if (mine === seq) onAnswer({ ok: true, value });
        },
        (error: unknown) => {
          if (mine === seq) onAnswer({ ok: false, error: toErrorInfo(error) });
        },
      );
    }, delayMs);
  };

  return { request, cancel };
}
