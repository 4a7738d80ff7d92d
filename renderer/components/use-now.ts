import { useEffect, useState } from 'react';

/** The current time, ticking every `ms`, so "2 hours ago" and "in 5 minutes" stay true while a screen is open. */
export function useNow(ms = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
