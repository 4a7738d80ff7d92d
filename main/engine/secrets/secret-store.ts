import type { KeychainStatus, PasswordStorage } from '../types.ts';

/** Where passwords live. The OS keychain when there is one; this process's memory otherwise. */
export interface SecretStore {
  readonly storage: Exclude<PasswordStorage, 'none'>;
  status(): KeychainStatus;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<void>;
}

export const KEYCHAIN_SERVICE = 'Lifeboat';

/** The keychain account of a profile's webhook URL (a secret: the token is in the URL). */
export function webhookAccount(profileId: string): string {
  return `webhook:${profileId}`;
}

/** Kept in memory only: used when no keychain answers, and never written to disk. */
export class SessionSecretStore implements SecretStore {
  readonly storage = 'session' as const;
  readonly #secrets = new Map<string, string>();
  readonly #reason: string;

  constructor(reason: string) {
    this.#reason = reason;
  }

  status(): KeychainStatus {
    return {
      available: false,
      message: `No OS keychain is available (${this.#reason}). Passwords are kept for this session only and are never written to disk; you will be asked again next time.`,
    };
  }

  async get(account: string): Promise<string | null> {
    return this.#secrets.get(account) ?? null;
  }

  async set(account: string, secret: string): Promise<void> {
    this.#secrets.set(account, secret);
  }

  async delete(account: string): Promise<void> {
    this.#secrets.delete(account);
  }
}
