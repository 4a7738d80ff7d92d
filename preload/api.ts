// Builds window.api from the contract: named, typed functions only, nothing generic reaches the page.
// No `electron` import here, so the E2E bridge can build the very same object over its own transport.
import type { Events, EventChannel, Invoke, InvokeChannel, InvokeResult } from '../main/ipc/contract.ts';

export type InvokeTransport = (channel: InvokeChannel, args: unknown[]) => Promise<unknown>;
export type EventTransport = (channel: EventChannel, listener: (...args: unknown[]) => void) => () => void;

/** Method name → channel; the test bridge reads this map to build the same API in the page. */
export const API_CHANNELS = {
  app: { info: 'app:info' },
  profiles: {
    list: 'profiles:list',
    add: 'profiles:add',
    update: 'profiles:update',
    duplicate: 'profiles:duplicate',
    remove: 'profiles:remove',
    test: 'profiles:test',
    testInput: 'profiles:test-input',
    importPreview: 'profiles:import-preview',
    importSave: 'profiles:import-save',
  },
  tools: { report: 'tools:report' },
  settings: { get: 'settings:get', update: 'settings:update' },
  dialog: { chooseFile: 'dialog:choose-file', chooseFolder: 'dialog:choose-folder', chooseSaveFile: 'dialog:choose-save-file' },
  backups: { start: 'backups:start' },
  jobs: { cancel: 'jobs:cancel', active: 'jobs:active' },
  library: {
    folders: 'library:folders',
    listing: 'library:listing',
    details: 'library:details',
    verify: 'library:verify',
    remove: 'library:delete',
    importArchive: 'library:import',
    reveal: 'library:reveal',
  },
  keys: { status: 'keys:status', exportRecovery: 'keys:export-recovery', setPassphrase: 'keys:set-passphrase', importRecovery: 'keys:import-recovery' },
  restore: { inspect: 'restore:inspect', preflight: 'restore:preflight', start: 'restore:start', dropKept: 'restore:drop-kept', targetDatabases: 'restore:target-databases' },
  schedules: {
    list: 'schedules:list',
    set: 'schedules:set',
    previewRetention: 'schedules:preview-retention',
    prune: 'schedules:prune',
    runDue: 'schedules:run-due',
    testWebhook: 'schedules:test-webhook',
    testDesktop: 'schedules:test-desktop',
    osJob: 'schedules:os-job',
    installOsJob: 'schedules:install-os-job',
    uninstallOsJob: 'schedules:uninstall-os-job',
  },
  activity: { list: 'activity:list', exportTo: 'activity:export' },
  health: { overview: 'health:overview' },
  demo: { status: 'demo:status', start: 'demo:start', remove: 'demo:remove' },
  drills: { start: 'drills:start', history: 'drills:history', openReport: 'drills:open-report', exportReport: 'drills:export-report' },
  runs: { list: 'runs:list', drill: 'runs:drill', restorePreflight: 'runs:restore-preflight', restore: 'runs:restore' },
  destinations: { list: 'destinations:list', add: 'destinations:add', remove: 'destinations:remove', test: 'destinations:test' },
  copies: {
    states: 'copies:states',
    start: 'copies:start',
    listRemote: 'copies:listRemote',
    verifyRemote: 'copies:verifyRemote',
    download: 'copies:download',
    fetch: 'copies:fetch',
    discardFetched: 'copies:discardFetched',
    drillRemote: 'copies:drillRemote',
  },
} as const satisfies Record<string, Record<string, InvokeChannel>>;

export const API_EVENTS = { menuNavigate: 'menu:navigate', menuNewProfile: 'menu:new-profile', jobProgress: 'jobs:progress', jobFinished: 'jobs:finished', openFile: 'app:open-file' } as const satisfies Record<string, EventChannel>;

type Caller<K extends InvokeChannel> = (...args: Parameters<Invoke[K]>) => Promise<InvokeResult<K>>;
type Group<G extends Record<string, InvokeChannel>> = { [M in keyof G]: Caller<G[M]> };
type Subscriber<K extends EventChannel> = (listener: Events[K]) => () => void;

export type Api = { [G in keyof typeof API_CHANNELS]: Group<(typeof API_CHANNELS)[G]> } & {
  on: { [E in keyof typeof API_EVENTS]: Subscriber<(typeof API_EVENTS)[E]> };
  /** The absolute path of a file or folder dropped on the window (sandboxed pages cannot read it themselves). */
  pathForFile: (file: File) => string;
};

/** The two maps window.api is made from. */
export interface ApiMaps {
  channels: typeof API_CHANNELS;
  events: typeof API_EVENTS;
}

export const API_MAPS: ApiMaps = { channels: API_CHANNELS, events: API_EVENTS };

/**
 * window.api from the maps, over a transport. Pure and self-contained (it uses nothing from outside
 * its parameters), so the E2E bridge runs this very function in the page (as source text) over its own transport.
 */
export function buildApiFrom(maps: ApiMaps, invoke: InvokeTransport, subscribe: EventTransport, pathForFile: (file: File) => string): Api {
  const groups = Object.fromEntries(
    Object.entries(maps.channels).map(([group, methods]) => [
      group,
      Object.fromEntries(Object.entries(methods).map(([method, channel]) => [method, (...args: unknown[]) => invoke(channel, args)])),
    ]),
  );
  const on = Object.fromEntries(
    Object.entries(maps.events).map(([name, channel]) => [name, (listener: (...args: unknown[]) => void) => subscribe(channel, listener)]),
  );
  return { ...groups, on, pathForFile } as Api;
}

export function buildApi(invoke: InvokeTransport, subscribe: EventTransport, pathForFile: (file: File) => string): Api {
  return buildApiFrom(API_MAPS, invoke, subscribe, pathForFile);
}
