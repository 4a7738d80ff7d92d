// The exact words a user types to restore a file whose statements reach beyond the database it
// restores into (see unsafe-statements.ts). No imports: the renderer shows the same words.
export const TRUST_PHRASE = 'I trust where this file came from';
