import { writeFile } from 'node:fs/promises';
import { LifeboatError } from '../errors.ts';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { DEFAULT_SCRYPT_LOG_N, type AgeEncryption } from '../crypto/age-encrypt.ts';
import { generateAgeKeyPair, parseRecipient, recipientOf, recoveryKeyFileText } from '../crypto/age-keys.ts';
import { ArchiveSigner } from '../archive/archive-authenticity.ts';
import type { Clock } from '../ports.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { SettingsStore } from '../settings/settings-store.ts';
import type { KeyImportQuestion, KeyImportResult, KeyStatus } from '../model/keys.ts';
import { readRecoveryKey } from './key-file.ts';
export type { KeyImportQuestion, KeyImportResult, KeyStatus } from '../model/keys.ts';

const IDENTITY_ACCOUNT = 'age-identity';
const PASSPHRASE_ACCOUNT = 'backup-passphrase';
/** Keys an imported key replaced, one per line: kept so the backups they made still open. */
const PREVIOUS_ACCOUNT = 'age-identity-previous';
/** At most this many earlier keys are kept (the oldest goes first). */
const MAX_PREVIOUS_KEYS = 20;

/** The earlier keys kept after `replaced` join them (newest first, at most MAX_PREVIOUS_KEYS), and those that no longer fit. */
function keptPrevious(replaced: string[], before: string[], current: string): { kept: string[]; forgotten: string[] } {
  const all = [...new Set([...replaced, ...before])].filter((k) => k !== current);
  return { kept: all.slice(0, MAX_PREVIOUS_KEYS), forgotten: all.slice(MAX_PREVIOUS_KEYS) };
}

/** How one backup is encrypted, as chosen by the caller (CLI flags, UI) or by the settings. */
export type EncryptionChoice = { kind: 'settings' } | { kind: 'recipients'; recipients: string[] } | { kind: 'passphrase'; passphrase: string } | { kind: 'none' };

export interface ResolvedEncryption {
  age: AgeEncryption | null;
  /** Plain facts for the manifest and sidecar: never a secret. */
  kind: 'x25519' | 'passphrase' | 'none';
  recipients: string[];
  /** This call created Lifeboat's key: the user must now export the recovery key. */
  keyCreated: boolean;
  /** Tags the archive as made by Lifeboat's own key or passphrase (archive-authenticity.ts); null when it is encrypted to others only, or not at all. */
  signer: ArchiveSigner | null;
}

/** Lifeboat's X25519 identity and backup passphrase: kept in the keychain, never in a file unless exported. */
export class KeyService {
  readonly #secrets: SecretStore;
  readonly #settings: SettingsStore;
  readonly #clock: Clock;
  /** The identity creation in progress, if any (ensureIdentity). */
  #identityTurn: Promise<unknown> = Promise.resolve();

  constructor(deps: { secrets: SecretStore; settings: SettingsStore; clock: Clock }) {
    this.#secrets = deps.secrets;
    this.#settings = deps.settings;
    this.#clock = deps.clock;
  }

  async status(): Promise<KeyStatus> {
    const settings = this.#settings.get();
    const identity = await this.#secrets.get(IDENTITY_ACCOUNT);
    return {
      mode: settings.encryptionMode,
      recipient: identity ? recipientOf(identity) : null,
      extraRecipients: settings.extraRecipients,
      passphraseSaved: (await this.#secrets.get(PASSPHRASE_ACCOUNT)) !== null,
      keychain: this.#secrets.storage === 'keychain',
      previousRecipients: (await this.#previousIdentities()).map(recipientOf),
    };
  }

  /** Lifeboat's identity, created on first use. Refuses when it could only live in memory. */
  /**
   * One key creation at a time: two backups starting together on a fresh install (a whole-server
   * run's databases, two schedules) would otherwise each create a key, and the one saved last would
   * leave the other's archives encrypted to a key nobody has.
   */
  ensureIdentity(): Promise<{ recipient: string; created: boolean }> {
    const previous = this.#identityTurn;
    const turn = previous.then(() => this.#ensureIdentityNow());
    this.#identityTurn = turn.catch(() => {});
    return turn;
  }

  async #ensureIdentityNow(): Promise<{ recipient: string; created: boolean }> {
    const existing = await this.#secrets.get(IDENTITY_ACCOUNT);
    if (existing) return { recipient: recipientOf(existing), created: false };
    if (this.#secrets.storage !== 'keychain') {
      throw new LifeboatError('NO_KEY', 'Lifeboat cannot create its backup key: no OS keychain is available to keep it, and a key kept only for this session would make the backups unreadable later.', 'Encrypt to a key of your own (--recipient age1…, from age-keygen) or with a passphrase (--passphrase-env VAR), or unlock the keychain.');
    }
    const pair = generateAgeKeyPair();
    await this.#secrets.set(IDENTITY_ACCOUNT, pair.identity);
    return { recipient: pair.recipient, created: true };
  }

  /** Writes the recovery-key file (age-keygen format), readable only by the user. */
  async exportRecoveryKey(file: string): Promise<{ file: string; recipient: string }> {
    const identity = await this.#secrets.get(IDENTITY_ACCOUNT);
    if (!identity) throw new LifeboatError('NO_KEY', 'Lifeboat has no backup key yet.', 'Make a backup first (it creates the key), or import a key.');
    const recipient = recipientOf(identity);
    // Earlier keys an import replaced go in the same file: the backups they made need them too.
    const earlier = (await this.#previousIdentities()).map((k) => ({ identity: k, recipient: recipientOf(k) }));
    await writeFile(file, recoveryKeyFileText({ identity, recipient }, this.#clock.now(), earlier), { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') throw new LifeboatError('INVALID_INPUT', `${file} already exists.`, 'Choose a new file name; Lifeboat never overwrites a key file.');
      throw error;
    });
    return { file, recipient };
  }

  /**
   * Adopts an existing age identity as Lifeboat's key (a new computer, from the recovery key). When it
   * differs from the key Lifeboat has, `confirm` must say yes (the app asks in main; the CLI with
   * --yes), or nothing changes: new backups go to the imported key. A replaced key is kept in the
   * keychain, so the backups it made still open. The key itself is never returned or logged.
   */
  async importIdentity(file: string, options: { confirm?: (question: KeyImportQuestion) => Promise<boolean> } = {}): Promise<KeyImportResult> {
    const { identity, recipient, earlier } = await readRecoveryKey(file);
    const existing = await this.#secrets.get(IDENTITY_ACCOUNT);
    const current = existing ? recipientOf(existing) : null;
    if (current === recipient) return { recipient, replaced: null, unchanged: true, forgotten: [], status: await this.status() };
    if (this.#secrets.storage !== 'keychain') {
      throw new LifeboatError('NO_KEY', 'Lifeboat cannot import the key: no OS keychain is available to keep it, and a key kept only for this session would be gone at the next start.', 'Unlock the OS keychain, then import again; until then restore with the key file itself (Restore → "Choose identity file…", or --identity FILE).');
    }
    if (!options.confirm && current) {
      throw new LifeboatError('INVALID_INPUT', `Lifeboat already has a different key (${current}); importing ${recipient} would replace it for new backups.`, 'Run again with --yes to replace it (the current key is kept to open the backups it made); export it first if you have no copy (lifeboat key export --out FILE).');
    }
    const forgets = keptPrevious([...(existing ? [existing] : []), ...earlier], await this.#previousIdentities(), identity).forgotten.map(recipientOf);
    // Asked outside the key turn: backups wait for it only while the key is written, not while the user thinks.
    if (options.confirm && !(await options.confirm({ file, incoming: recipient, current, forgets }))) {
      throw new LifeboatError('CANCELLED', 'The key was not imported.', 'Nothing to do: you declined it. Lifeboat keeps its current key.');
    }
    // In the same turn as key creation: a first backup starting meanwhile must not create a key the import then drops.
    const turn = this.#identityTurn.then(() => this.#replaceIdentity(identity, current, earlier));
    this.#identityTurn = turn.catch(() => {});
    const forgotten = await turn;
    return { recipient, replaced: current, unchanged: false, forgotten: forgotten.map(recipientOf), status: await this.status() };
  }

  /** Makes `identity` the key, keeping the one it replaces; refused when the key changed since the user was asked. Returns the earlier keys no longer kept. */
  async #replaceIdentity(identity: string, asked: string | null, earlier: string[]): Promise<string[]> {
    const existing = await this.#secrets.get(IDENTITY_ACCOUNT);
    if ((existing ? recipientOf(existing) : null) !== asked) {
      throw new LifeboatError('INVALID_INPUT', "Lifeboat's key changed while you were asked (a backup created one meanwhile), so the key was not imported.", 'Import it again and decide about the key Lifeboat has now.');
    }
    const forgotten = await this.#keepPrevious([...(existing ? [existing] : []), ...earlier], identity);
    await this.#secrets.set(IDENTITY_ACCOUNT, identity);
    return forgotten;
  }

  /** Keys earlier imports replaced (newest first). */
  async #previousIdentities(): Promise<string[]> {
    const kept = await this.#secrets.get(PREVIOUS_ACCOUNT);
    return kept ? kept.split('\n').filter((line) => line.startsWith('AGE-SECRET-KEY-1')) : [];
  }

  /** Keeps the keys being replaced (the current one, and earlier ones the imported file carries) first; the key taking over is current again, not earlier. */
  async #keepPrevious(replaced: string[], current: string): Promise<string[]> {
    const before = await this.#previousIdentities();
    const { kept, forgotten } = keptPrevious(replaced, before, current);
    if (kept.join('\n') === before.join('\n')) return forgotten;
    if (kept.length) await this.#secrets.set(PREVIOUS_ACCOUNT, kept.join('\n'));
    else await this.#secrets.delete(PREVIOUS_ACCOUNT);
    return forgotten;
  }

  async setPassphrase(passphrase: string | null): Promise<void> {
    if (passphrase === null) return this.#secrets.delete(PASSPHRASE_ACCOUNT);
    if (passphrase.length < 8) throw new LifeboatError('INVALID_INPUT', 'The passphrase is shorter than 8 characters.', 'Use a long passphrase: several unrelated words work well.');
    await this.#secrets.set(PASSPHRASE_ACCOUNT, passphrase);
  }

  async resolveEncryption(choice: EncryptionChoice): Promise<ResolvedEncryption> {
    if (choice.kind === 'none') return { age: null, kind: 'none', recipients: [], keyCreated: false, signer: null };
    if (choice.kind === 'passphrase') return passphraseEncryption(choice.passphrase);
    if (choice.kind === 'recipients') {
      choice.recipients.forEach(parseRecipient);
      return { age: { recipients: choice.recipients }, kind: 'x25519', recipients: choice.recipients, keyCreated: false, signer: await this.#signerFor(choice.recipients) };
    }
    const settings = this.#settings.get();
    if (settings.encryptionMode === 'passphrase') {
      const passphrase = await this.#secrets.get(PASSPHRASE_ACCOUNT);
      if (!passphrase) throw new LifeboatError('NO_KEY', 'Backups are set to use a passphrase, and none is saved.', 'Set the backup passphrase in Settings → Encryption, or pass --passphrase-env VAR.');
      return passphraseEncryption(passphrase);
    }
    if (settings.encryptionMode === 'recipients') {
      if (settings.extraRecipients.length === 0) throw new LifeboatError('NO_KEY', 'Backups are set to encrypt to your recipients only, and none is configured.', 'Add a recipient (age1…) in Settings → Encryption, or lifeboat backup --recipient age1….');
      return { age: { recipients: settings.extraRecipients }, kind: 'x25519', recipients: settings.extraRecipients, keyCreated: false, signer: await this.#signerFor(settings.extraRecipients) };
    }
    const { recipient, created } = await this.ensureIdentity();
    const recipients = [recipient, ...settings.extraRecipients.filter((r) => r !== recipient)];
    return { age: { recipients }, kind: 'x25519', recipients, keyCreated: created, signer: await this.#signerFor(recipients) };
  }

  /**
   * Lifeboat's identity tags an archive only when the archive is encrypted to it: then Lifeboat can
   * open it and check the tag later. Archives for others' keys only get no tag (they cannot check it).
   */
  async #signerFor(recipients: string[]): Promise<ArchiveSigner | null> {
    const identity = await this.#secrets.get(IDENTITY_ACCOUNT).catch(() => null);
    if (!identity) return null;
    const own = recipientOf(identity);
    return recipients.some((r) => r.trim() === own) ? ArchiveSigner.forIdentity(identity) : null;
  }

  /**
   * Only the keys Lifeboat itself keeps (keychain), not any the user typed or pointed to: an archive
   * tagged by one of these was made by this Lifeboat's key holder. A key handed over together with a
   * file proves nothing about who made the file.
   */
  async ownKeys(): Promise<AgeKeys> {
    const identity = await this.#secrets.get(IDENTITY_ACCOUNT);
    const passphrase = await this.#secrets.get(PASSPHRASE_ACCOUNT);
    // Keys an import replaced were this Lifeboat's own: what they made is still its own.
    return { identities: [...(identity ? [identity] : []), ...(await this.#previousIdentities())], passphrases: passphrase ? [passphrase] : [] };
  }

  /**
   * The keys for opening archives: those the caller gives, else every key Lifeboat holds (`own`, when
   * the caller has just read ownKeys(): each keychain read is a round trip of ~10 ms).
   */
  async decryptionKeys(extra: AgeKeys = {}, ownRead?: AgeKeys): Promise<AgeKeys> {
    const identities = [...(extra.identities ?? [])];
    const passphrases = [...(extra.passphrases ?? [])];
    if (identities.length === 0 && passphrases.length === 0) {
      const own = ownRead ?? (await this.ownKeys());
      identities.push(...own.identities!);
      passphrases.push(...own.passphrases!);
    }
    return { identities, passphrases };
  }
}

/** A passphrase archive is tagged with the same passphrase: only someone who knows it can make one (see archive-authenticity.ts). */
function passphraseEncryption(passphrase: string): ResolvedEncryption {
  return { age: { passphrase }, kind: 'passphrase', recipients: [], keyCreated: false, signer: ArchiveSigner.forPassphrase(passphrase, DEFAULT_SCRYPT_LOG_N) };
}
