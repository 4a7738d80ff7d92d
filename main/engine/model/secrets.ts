// Where secrets are kept: whether the OS keychain is there.
// Plain data, no behaviour: the model layer imports nothing but other model types.

export interface KeychainStatus {
  available: boolean;
  /** Plain words for the user when passwords are kept for this session only. */
  message: string;
}
