// validate → call engine → return plain data. No `electron` import: the E2E bridge and the IPC
// tests drive exactly this dispatcher; main/ipc/typed-ipc.ts wires it to ipcMain.
import { toErrorInfo, type Engine } from '../engine/index.ts';
import type { AppInfo, FileFilter, Invoke, InvokeChannel, InvokeResult } from './contract.ts';
import { invokeSchemas } from './schemas.ts';

/** What only the shell can do (native dialogs); tests provide their own. */
export interface ShellPorts {
  appVersion: string;
  chooseFile(title: string, filters: FileFilter[]): Promise<string | null>;
}

type Handlers = { [K in InvokeChannel]: (...args: Parameters<Invoke[K]>) => Promise<Awaited<ReturnType<Invoke[K]>>> | Awaited<ReturnType<Invoke[K]>> };

export function createHandlers(engine: Engine, shell: ShellPorts): Handlers {
  return {
    'app:info': (): AppInfo => ({ version: shell.appVersion, dataDir: engine.dataDir, platform: process.platform, keychain: engine.secrets.status() }),
    'profiles:list': () => engine.profiles.list(),
    'profiles:add': (input) => engine.profiles.add(input),
    'profiles:update': (id, input) => engine.profiles.update(id, input),
    'profiles:duplicate': (id) => engine.profiles.duplicate(id),
    'profiles:remove': (id) => engine.profiles.remove(id),
    'profiles:test': (id) => engine.profiles.test(id),
    'profiles:import-preview': (source) => engine.profiles.importCandidates(source),
    'profiles:import-save': (source, name) => engine.profiles.importAndSave(source, name ? { name } : {}),
    'tools:report': () => engine.tools.report(),
    'settings:get': () => ({ pgToolsDir: engine.settings.get().pgToolsDir }),
    'settings:update': (patch) => {
      const next = engine.settings.update(patch);
      engine.tools.refresh();
      return { pgToolsDir: next.pgToolsDir };
    },
    'dialog:choose-file': (title, filters) => shell.chooseFile(title, filters),
  };
}

export type Dispatch = <K extends InvokeChannel>(channel: K, args: unknown[]) => Promise<InvokeResult<K>>;

/** Parses the payload with the channel's schema first; nothing unvalidated reaches the engine. */
export function createDispatcher(handlers: Handlers): Dispatch {
  return async (channel, args) => {
    const schema = invokeSchemas[channel];
    if (!schema) return { ok: false, error: { code: 'INVALID_INPUT', message: `Unknown channel "${String(channel)}".` } };
    const parsed = schema.safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` (argument ${issue.path.join('.')})` : '';
      return { ok: false, error: { code: 'INVALID_INPUT', message: `Rejected ${channel}: ${issue?.message ?? 'invalid payload'}${where}.` } };
    }
    try {
      const handler = handlers[channel] as (...a: unknown[]) => unknown;
      const value = await handler(...(parsed.data as unknown[]));
      return { ok: true, value } as InvokeResult<typeof channel>;
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  };
}
