// Lifeboat's encryption keys, as the user sees them (never a secret).
// Plain data, no behaviour: the model layer imports nothing but other model types.

export interface KeyStatus {
  mode: 'key' | 'passphrase' | 'recipients';
  /** age1… of Lifeboat's own key, when one exists. */
  recipient: string | null;
  extraRecipients: string[];
  passphraseSaved: boolean;
  keychain: boolean;
  /** age1… of keys Lifeboat used before an imported one replaced them: kept in the keychain to open the backups they made. */
  previousRecipients: string[];
}

/** What importing a recovery key did (never the key itself: only public recipients). */
export interface KeyImportResult {
  /** age1… of the imported key, now Lifeboat's key. */
  recipient: string;
  /** age1… of the key it replaced (kept to open the backups that key made); null when there was none. */
  replaced: string | null;
  /** The file holds the key Lifeboat already uses: nothing changed. */
  unchanged: boolean;
  /**
   * age1… of earlier keys not kept: Lifeboat keeps 20 earlier keys at most (a keychain entry holds
   * only so much) — the replaced key and those the file carries first — so backups made with these
   * open only with a recovery file that holds them.
   */
  forgotten: string[];
  status: KeyStatus;
}

/** The question before a key is imported: the key in the file, and the one it would replace. */
export interface KeyImportQuestion {
  file: string;
  incoming: string;
  current: string | null;
  /** age1… of the earlier keys the import would push out of the 20 Lifeboat keeps (see KeyImportResult.forgotten). */
  forgets: string[];
}
