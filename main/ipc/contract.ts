// THE IPC contract between main, preload and renderer. Types only; the data shapes come from
// the engine's plain-data types. Channel names carry a namespace prefix.
import type {
  ConnectionTestResult,
  ErrorInfo,
  ImportCandidate,
  KeychainStatus,
  ProfileInput,
  ProfileSummary,
  ToolsReport,
} from '../engine/types.ts';

export type * from '../engine/types.ts';

export type ImportSource = { kind: 'uri'; uri: string } | { kind: 'pgpass'; file?: string } | { kind: 'env' };

export interface AppInfo {
  version: string;
  dataDir: string;
  platform: string;
  keychain: KeychainStatus;
}

export interface AppSettings {
  pgToolsDir: string | null;
}

export type ScreenId = 'connections' | 'backups' | 'restore' | 'drills' | 'schedules' | 'activity' | 'settings';

export interface FileFilter {
  name: string;
  extensions: string[];
}

/** Renderer → main calls. Every payload is validated in main (main/ipc/schemas.ts). */
export interface Invoke {
  'app:info': () => AppInfo;
  'profiles:list': () => ProfileSummary[];
  'profiles:add': (input: ProfileInput) => ProfileSummary;
  'profiles:update': (id: string, input: ProfileInput) => ProfileSummary;
  'profiles:duplicate': (id: string) => ProfileSummary;
  'profiles:remove': (id: string) => void;
  'profiles:test': (id: string) => ConnectionTestResult;
  'profiles:import-preview': (source: ImportSource) => ImportCandidate[];
  'profiles:import-save': (source: ImportSource, name: string | null) => ProfileSummary[];
  'tools:report': () => ToolsReport;
  'settings:get': () => AppSettings;
  'settings:update': (patch: Partial<AppSettings>) => AppSettings;
  'dialog:choose-file': (title: string, filters: FileFilter[]) => string | null;
}

/** Main → renderer events. */
export interface Events {
  'menu:navigate': (screen: ScreenId) => void;
  'menu:new-profile': () => void;
}

export type InvokeChannel = keyof Invoke;
export type EventChannel = keyof Events;

/** What every call resolves to: errors arrive as data (code, message, fix), never as a stack. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };
export type InvokeResult<K extends InvokeChannel> = IpcResult<Awaited<ReturnType<Invoke[K]>>>;
