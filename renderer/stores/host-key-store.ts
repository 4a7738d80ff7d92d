// The SSH host-key question: when connecting (a test, a backup, an SFTP destination's test) meets a
// host key Lifeboat does not know, one window-wide dialog shows it and only the user's "Trust and
// connect" passes its fingerprint back to main. A route of several hops asks once per unknown hop,
// in connection order.
import { create } from 'zustand';
import type { ErrorInfo, HostKeyOffer } from '../../main/ipc/contract.ts';
import { useProfilesStore } from './profiles-store.ts';

/** Connects again with the fingerprints trusted so far (a connection test by default). */
export type HostKeyRetry = (acceptHostKeys: string[]) => Promise<{ ok: boolean; error?: ErrorInfo }>;

export interface HostKeyPrompt {
  /** Whose route it is: a connection, or an SFTP destination (with `retry`). */
  profileId: string;
  profileName: string;
  offer: HostKeyOffer;
  /** SSH_HOST_KEY_CHANGED: shown, never accepted from here. */
  changed: boolean;
  /** The engine's message and fix, for the changed-key warning. */
  error: ErrorInfo;
  /** Fingerprints already trusted on this route in this round (earlier hops). */
  accepted: string[];
  /** What to do once the route is trusted and connects (e.g. start the backup again). */
  onTrusted?: () => void;
  /** How to connect again with the trusted keys; absent: the connection's test (profiles:test). */
  retry?: HostKeyRetry;
}

type AskOptions = { accepted?: string[]; onTrusted?: () => void; retry?: HostKeyRetry };

interface HostKeyState {
  prompt: HostKeyPrompt | null;
  busy: boolean;
  /** After trusting, the connection failed for another reason: shown in the dialog until closed. */
  failure: ErrorInfo | null;
  /** Opens the dialog when `error` is a host-key question; returns whether it did. */
  ask(profile: { id: string; name: string }, error: ErrorInfo, options?: AskOptions): boolean;
  /** Passes the shown fingerprint (and earlier ones) to a connection test; asks again for the next hop if needed. */
  trust(): Promise<void>;
  dismiss(): void;
}

export function isHostKeyError(error: ErrorInfo): boolean {
  return (error.code === 'SSH_HOST_KEY_UNKNOWN' || error.code === 'SSH_HOST_KEY_CHANGED') && error.hostKey !== undefined;
}

export const useHostKeyStore = create<HostKeyState>()((set, get) => ({
  prompt: null,
  busy: false,
  failure: null,

  ask: (profile, error, options = {}) => {
    if (!isHostKeyError(error)) return false;
    const prompt: HostKeyPrompt = {
      profileId: profile.id,
      profileName: profile.name,
      offer: error.hostKey!,
      changed: error.code === 'SSH_HOST_KEY_CHANGED',
      error,
      accepted: options.accepted ?? [],
      ...(options.onTrusted ? { onTrusted: options.onTrusted } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    };
    set({ prompt, busy: false, failure: null });
    return true;
  },

  trust: async () => {
    const prompt = get().prompt;
    if (!prompt || prompt.changed || get().busy) return;
    const accepted = [prompt.offer.fingerprint, ...prompt.accepted];
    set({ busy: true, failure: null });
    const retry = prompt.retry ?? ((keys: string[]) => useProfilesStore.getState().test(prompt.profileId, keys));
    const result = await retry(accepted);
    // Closed meanwhile (Cancel while testing): the card shows the result; nothing more to ask.
    if (get().prompt !== prompt) return;
    if (result.ok) {
      set({ prompt: null, busy: false });
      prompt.onTrusted?.();
      return;
    }
    // The next hop of a jump chain (or a changed key further on): the same dialog asks again. The
    // same key offered twice would mean main did not take it: shown as a failure, not asked forever.
    const error: ErrorInfo = result.error ?? { code: 'INTERNAL', message: 'The connection failed.' };
    const next = error.hostKey;
    if (isHostKeyError(error) && next && !accepted.includes(next.fingerprint)) {
      get().ask({ id: prompt.profileId, name: prompt.profileName }, error, { accepted, ...(prompt.onTrusted ? { onTrusted: prompt.onTrusted } : {}), ...(prompt.retry ? { retry: prompt.retry } : {}) });
      return;
    }
    set({ busy: false, failure: error });
  },

  dismiss: () => set({ prompt: null, busy: false, failure: null }),
}));
