// main/engine/tsconfig.json maps `electron` here so any Electron import in the engine fails to compile.
export type ElectronIsForbiddenInTheEngine = never;
