// What the engine needs from its host (Electron shell, CLI or tests), injected by createEngine (the
// secret store's interface is in secrets/secret-store.ts).

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
