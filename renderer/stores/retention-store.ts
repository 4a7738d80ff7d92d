// The retention editors' state, per connection: the preview of what the rules being typed would keep
// and delete (asked of main, debounced, the newest answer only), the save or prune in progress, and
// what the last prune did. An editor's state lives while it is shown: attach() on mount, forget() on unmount.
import { create } from 'zustand';
import type { ErrorInfo, RetentionPlan, RetentionPolicy, ScheduleView } from '../../main/ipc/contract.ts';
import { useAppStore } from './app-store.ts';
import { latestOnly, type LatestOnly } from './latest-only.ts';
import { useLibraryStore } from './library-store.ts';
import { useSchedulesStore } from './schedules-store.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

export interface RetentionEditorState {
  plan: RetentionPlan | null;
  /** The preview request the plan (or its error) answers; see isPreviewing. */
  planFor: string | null;
  previewError: ErrorInfo | null;
  /** Bumped after a prune: the archives changed, so the preview is read again. */
  pruneCount: number;
  busy: boolean;
  /** Why the last save or prune failed. */
  error: ErrorInfo | null;
  pruned: { deleted: number; blocked: string | null } | null;
}

export const IDLE_EDITOR: RetentionEditorState = { plan: null, planFor: null, previewError: null, pruneCount: 0, busy: false, error: null, pruned: null };

const DEBOUNCE_MS = 300;

/** One preview request: the rules, and which archives (refreshKey: jobs finished; pruneCount: prunes) they are applied to. */
const previewTag = (policy: RetentionPolicy, refreshKey: number, pruneCount: number) => `${JSON.stringify(policy)}|${refreshKey}|${pruneCount}`;

/** True while the plan shown is not (yet) the answer for these rules; null rules are never previewed. */
export function isPreviewing(state: RetentionEditorState, policy: RetentionPolicy | null, refreshKey: number): boolean {
  return policy !== null && state.planFor !== previewTag(policy, refreshKey, state.pruneCount);
}

interface RetentionState {
  editors: Record<string, RetentionEditorState>;
  attach(profileId: string): void;
  forget(profileId: string): void;
  /** Previews these rules, debounced; null (a field is not a valid number) asks nothing. */
  preview(profileId: string, policy: RetentionPolicy | null, refreshKey: number): void;
  /** Saves the rules; the saved schedule, or null when it failed (the error is kept). */
  saveRules(profileId: string, policy: RetentionPolicy): Promise<ScheduleView | null>;
  /** Resolves to whether the change was saved (the error is kept when not). */
  setAutoPrune(profileId: string, on: boolean): Promise<boolean>;
  /** Deletes what the saved rules do not keep; resolves to whether it ran (the error is kept when not). */
  prune(profileId: string, profileName: string): Promise<boolean>;
}

interface Preview {
  latest: LatestOnly<RetentionPlan>;
  /** The newest request: the only one whose answer is still taken. */
  asked: { policy: RetentionPolicy; refreshKey: number; tag: string } | null;
}

export const useRetentionStore = create<RetentionState>()((set, get) => {
  const previews = new Map<string, Preview>();
  const announce = (text: string) => useAppStore.getState().announce(text);

  /** Changes a shown editor's state; an editor already gone (an answer arriving late) stays gone. */
  const patch = (profileId: string, update: Partial<RetentionEditorState>) => {
    const current = get().editors[profileId];
    if (current) set({ editors: { ...get().editors, [profileId]: { ...current, ...update } } });
  };

  const previewOf = (profileId: string): Preview => {
    const known = previews.get(profileId);
    if (known) return known;
    const made: Preview = {
      asked: null,
      latest: latestOnly<RetentionPlan>((answer) => {
        // Only the newest request's answer arrives here: it answers `asked`.
        const planFor = made.asked?.tag ?? null;
        if (answer.ok) patch(profileId, { plan: answer.value, previewError: null, planFor });
        else patch(profileId, { previewError: answer.error, planFor });
      }),
    };
    previews.set(profileId, made);
    return made;
  };

  const ask = (profileId: string, policy: RetentionPolicy, refreshKey: number) => {
    const preview = previewOf(profileId);
    const pruneCount = get().editors[profileId]?.pruneCount ?? 0;
    preview.asked = { policy, refreshKey, tag: previewTag(policy, refreshKey, pruneCount) };
    preview.latest.request(async () => unwrap(await api().schedules.previewRetention(profileId, policy)), DEBOUNCE_MS);
  };

  return {
    editors: {},

    attach: (profileId) => {
      if (!get().editors[profileId]) set({ editors: { ...get().editors, [profileId]: IDLE_EDITOR } });
    },

    forget: (profileId) => {
      previews.get(profileId)?.latest.cancel();
      previews.delete(profileId);
      const { [profileId]: _gone, ...rest } = get().editors;
      set({ editors: rest });
    },

    preview: (profileId, policy, refreshKey) => {
      if (policy) {
        ask(profileId, policy, refreshKey);
        return;
      }
      const preview = previews.get(profileId);
      preview?.latest.cancel();
      if (preview) preview.asked = null;
    },

    saveRules: async (profileId, policy) => {
      patch(profileId, { error: null, busy: true });
      try {
        const saved = await useSchedulesStore.getState().save(profileId, { retention: policy });
        announce(`Retention of ${saved.profile} saved.`);
        return saved;
      } catch (error) {
        patch(profileId, { error: toErrorInfo(error) });
        return null;
      } finally {
        patch(profileId, { busy: false });
      }
    },

    setAutoPrune: async (profileId, on) => {
      try {
        await useSchedulesStore.getState().save(profileId, { autoPrune: on });
        announce(on ? 'Archives will be pruned after each scheduled backup.' : 'Automatic pruning off.');
        return true;
      } catch (error) {
        patch(profileId, { error: toErrorInfo(error) });
        return false;
      }
    },

    prune: async (profileId, profileName) => {
      patch(profileId, { busy: true, error: null });
      try {
        const result = unwrap(await api().schedules.prune(profileId));
        const deleted = result.deleted.length;
        patch(profileId, { pruned: { deleted, blocked: result.blocked }, pruneCount: (get().editors[profileId]?.pruneCount ?? 0) + 1 });
        announce(result.blocked ? `Nothing was deleted: ${result.blocked}` : `Deleted ${deleted} archive${deleted === 1 ? '' : 's'} of ${profileName}.`);
        // The archives changed: the same rules are previewed again.
        const asked = previews.get(profileId)?.asked;
        if (asked) ask(profileId, asked.policy, asked.refreshKey);
        void useLibraryStore.getState().load();
        return true;
      } catch (error) {
        patch(profileId, { error: toErrorInfo(error) });
        return false;
      } finally {
        patch(profileId, { busy: false });
      }
    },
  };
});
