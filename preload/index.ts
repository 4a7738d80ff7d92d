// Sandboxed preload: exposes window.api and nothing else. The only ipcRenderer user.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { buildApi } from './api.ts';

const api = buildApi(
  (channel, args) => ipcRenderer.invoke(channel, ...args),
  (channel, listener) => {
    // The page never sees the IpcRendererEvent (it would expose ipcRenderer.sender).
    const wrapped = (_event: unknown, ...args: unknown[]) => listener(...args);
    ipcRenderer.on(channel, wrapped);
    return () => ipcRenderer.removeListener(channel, wrapped);
  },
  (file) => webUtils.getPathForFile(file),
);

contextBridge.exposeInMainWorld('api', api);
