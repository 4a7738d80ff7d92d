// The exact words a user types to restore a file whose statements reach beyond the database it
// restores into (see unsafe-statements.ts). No imports: the renderer shows the same words.
export const TRUST_PHRASE = 'I trust where this file came from';

/** The fix of every refusal that only the typed words can lift. */
export const TRUST_FIX = `Restore this file only if you trust where it came from: type "${TRUST_PHRASE}" (CLI: --trust "${TRUST_PHRASE}").`;
