import { AsyncEntry } from '@napi-rs/keyring';
import { LifeboatError } from '../errors.ts';
import type { KeychainStatus } from '../types.ts';
import { KEYCHAIN_SERVICE, SessionSecretStore, type SecretStore } from './secret-store.ts';

// On Linux the library silently falls back to the volatile kernel keyring; pin Secret Service
// so a "saved" password survives a reboot, or fail loudly.
const ENTRY_OPTIONS = { linux: { store: 'secret-service' as const } };

export class KeychainSecretStore implements SecretStore {
  readonly storage = 'keychain' as const;
  readonly #service: string;
  /**
   * One entry object per account, used again: making one costs ~8 ms of the main thread (it opens its
   * own connection to the Secret Service), using it again ~1 ms — a restore read five. Every call still
   * asks the keychain: a password changed or deleted by another process is seen at once.
   */
  readonly #entries = new Map<string, AsyncEntry>();

  /** service: the keychain's service name; another one than Lifeboat's keeps a test engine's key apart. */
  constructor(service = KEYCHAIN_SERVICE) {
    this.#service = service;
  }

  status(): KeychainStatus {
    return { available: true, message: `Passwords are stored in the OS keychain (service "${this.#service}").` };
  }

  async get(account: string): Promise<string | null> {
    return this.#call('read', account, (entry) => entry.getPassword());
  }

  async set(account: string, secret: string): Promise<void> {
    await this.#call('save', account, (entry) => entry.setPassword(secret));
  }

  async delete(account: string): Promise<void> {
    await this.#call('delete', account, (entry) => entry.deletePassword());
    this.#entries.delete(account); // a removed profile's entry (and its connection) is not kept
  }

  async #call<T>(what: string, account: string, action: (entry: AsyncEntry) => Promise<T>): Promise<T> {
    try {
      return await retryTransient(async () => {
        const entry = this.#entryFor(account);
        try {
          return await action(entry);
        } catch (error) {
          // Its connection may be the trouble: the next try makes a new one (unless another call already did).
          if (this.#entries.get(account) === entry) this.#entries.delete(account);
          throw error;
        }
      }, () => false);
    } catch (error) {
      // The library's message names the store, never the secret.
      const reason = error instanceof Error ? error.message : String(error);
      throw new LifeboatError('KEYCHAIN', `Could not ${what} a password in the OS keychain: ${reason}`, 'Unlock the keychain (or log in to the desktop session) and try again.');
    }
  }

  #entryFor(account: string): AsyncEntry {
    let entry = this.#entries.get(account);
    if (!entry) this.#entries.set(account, (entry = new AsyncEntry(this.#service, account, ENTRY_OPTIONS)));
    return entry;
  }
}

// The Secret Service can fail transiently under load (D-Bus timeouts): try again before giving up.
async function retryTransient<T>(action: () => Promise<T>, isPermanent: (error: unknown) => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= 3 || isPermanent(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

// No session bus, or no Secret Service on it: asking again cannot help.
const NO_KEYCHAIN_HERE = /ServiceUnknown|not provided by any|DBUS_SESSION_BUS_ADDRESS|autolaunch|No such file or directory|Connection refused/i;

/** Uses the OS keychain when it answers, otherwise keeps passwords in memory and says so. */
export async function openSecretStore(service = KEYCHAIN_SERVICE): Promise<SecretStore> {
  if (process.env.LIFEBOAT_NO_KEYCHAIN === '1') return new SessionSecretStore('disabled by LIFEBOAT_NO_KEYCHAIN');
  try {
    // A probe timing out under load must not demote this run to memory-only passwords.
    await retryTransient(
      () => new AsyncEntry(KEYCHAIN_SERVICE, 'lifeboat:probe', ENTRY_OPTIONS).getPassword(),
      (error) => (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) || NO_KEYCHAIN_HERE.test(String((error as Error)?.message ?? error)),
    );
    return new KeychainSecretStore(service);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] ?? 'unknown error' : String(error);
    return new SessionSecretStore(reason);
  }
}
