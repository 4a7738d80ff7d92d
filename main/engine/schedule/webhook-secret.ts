// A webhook URL is a secret (Slack, Discord and Teams put the token in the path), so like a password
// it goes to the OS keychain (account `webhook:<profile id>`) and schedules.json keeps only the
// redacted form shown to people. Without a keychain (a headless server, like `~/.pgpass` for
// passwords) it stays in schedules.json, a file only this user can read, and the view says so.
import { redactWebhookUrl } from '../notify/webhook-url.ts';
import { webhookAccount, type SecretStore } from '../secrets/secret-store.ts';
import type { NotifySettings } from '../model/schedule.ts';
export type { NotifyPatch, NotifySettings, WebhookStorage } from '../model/schedule.ts';

/** What schedules.json holds: the URL itself only when no keychain kept it (and in older files). */
export interface StoredNotify extends Partial<NotifySettings> {
  webhookUrl?: string | null;
  onSuccess: boolean;
  desktop: boolean;
  staleHours: number | null;
}

/** The stored settings without the URL, as shown everywhere. */
export function notifyView(stored: StoredNotify): NotifySettings {
  const inFile = stored.webhookUrl ? redactWebhookUrl(stored.webhookUrl) : null;
  return {
    webhook: stored.webhook ?? inFile,
    webhookStorage: stored.webhookStorage ?? (inFile ? 'file' : null),
    onSuccess: stored.onSuccess,
    desktop: stored.desktop,
    staleHours: stored.staleHours,
  };
}

/** Keeps `url` for the profile (or removes it) and returns what schedules.json may hold about it. */
export async function storeWebhook(secrets: SecretStore, profileId: string, url: string | null): Promise<Pick<StoredNotify, 'webhook' | 'webhookStorage' | 'webhookUrl'>> {
  if (secrets.storage === 'keychain') await secrets.delete(webhookAccount(profileId)).catch(() => {});
  if (!url) return { webhook: null, webhookStorage: null, webhookUrl: null };
  if (secrets.storage !== 'keychain') return { webhook: redactWebhookUrl(url), webhookStorage: 'file', webhookUrl: url };
  await secrets.set(webhookAccount(profileId), url);
  return { webhook: redactWebhookUrl(url), webhookStorage: 'keychain', webhookUrl: null };
}

/**
 * The URL to post to, or why there is none to use: a URL kept in the keychain cannot be read by a run
 * without one (a cron job with no desktop session), and that must be said, not silently skipped.
 */
export async function resolveWebhook(secrets: SecretStore, profileId: string, stored: StoredNotify): Promise<{ url: string | null; problem: string | null }> {
  if (stored.webhookUrl) return { url: stored.webhookUrl, problem: null };
  if (stored.webhookStorage !== 'keychain') return { url: null, problem: null };
  if (secrets.storage !== 'keychain') {
    return { url: null, problem: `its URL is in the OS keychain, which this run cannot reach (${secrets.status().message})` };
  }
  const url = await secrets.get(webhookAccount(profileId)).catch(() => null);
  return url ? { url, problem: null } : { url: null, problem: 'its URL is missing from the OS keychain' };
}
