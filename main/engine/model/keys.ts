// Lifeboat's encryption keys, as the user sees them (never a secret).
// Plain data, no behaviour: the model layer imports nothing but other model types.

export interface KeyStatus {
  mode: 'key' | 'passphrase' | 'recipients';
  /** age1… of Lifeboat's own key, when one exists. */
  recipient: string | null;
  extraRecipients: string[];
  passphraseSaved: boolean;
  keychain: boolean;
}
