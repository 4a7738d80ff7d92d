// window.api is built by the preload from the IPC contract (preload/api.ts); nothing else is exposed.
export {};

declare global {
  interface Window {
    api: import('../preload/api.ts').Api;
  }
}
