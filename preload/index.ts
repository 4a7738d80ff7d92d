// Sandboxed preload: exposes window.api and nothing else. The only ipcRenderer user.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { buildApi } from './api.ts';
import { DROPPED_FILE_CHANNEL } from '../main/ipc/dropped-file.ts';

const api = buildApi(
  (channel, args) => ipcRenderer.invoke(channel, ...args),
  (channel, listener) => {
    // The page never sees the IpcRendererEvent (it would expose ipcRenderer.sender).
    const wrapped = (_event: unknown, ...args: unknown[]) => listener(...args);
    ipcRenderer.on(channel, wrapped);
    return () => ipcRenderer.removeListener(channel, wrapped);
  },
  (file) => {
    const path = webUtils.getPathForFile(file);
    // A real drop: main may read this file (the page cannot send this report itself).
    if (path) ipcRenderer.send(DROPPED_FILE_CHANNEL, path);
    return path;
  },
);

contextBridge.exposeInMainWorld('api', api);
