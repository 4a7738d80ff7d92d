// The preload's private report of a dropped file's path (see typed-ipc.ts registerDropReports).
export const DROPPED_FILE_CHANNEL = 'lifeboat:dropped-file';
