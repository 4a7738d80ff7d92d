// Reading a recovery-key file someone chose to import: one X25519 age identity, from a regular file
// of bounded size (a recovery key is a few hundred bytes; anything far larger is not one, and a FIFO
// or device must not hang or flood the reader).
import { parseIdentityFile, recipientOf } from '../crypto/age-keys.ts';
import { LifeboatError } from '../errors.ts';
import { readSmallUserFile } from '../files/user-file.ts';

/** Far above any age identity file (one key with comments is under 300 bytes). */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

const KEY_FILE_FIX = 'Choose the recovery-key file Lifeboat exported (lifeboat-recovery-key.txt), or a file made by age-keygen.';

/** At most this many identities: the key and the earlier keys a recovery file carries (key-service keeps 20). */
const MAX_IDENTITIES = 21;

/**
 * The file's first X25519 identity (the key) with its public recipient, and the identities after it:
 * earlier keys a Lifeboat recovery file carries so older backups still open.
 */
export async function readRecoveryKey(file: string): Promise<{ identity: string; recipient: string; earlier: string[] }> {
  const [identity, ...earlier] = parseIdentityFile(await readKeyFileText(file), file);
  if (earlier.length >= MAX_IDENTITIES) throw new LifeboatError('INVALID_INPUT', `${file} holds ${earlier.length + 1} age identities; a recovery key file holds the key and at most ${MAX_IDENTITIES - 1} earlier ones.`, KEY_FILE_FIX);
  try {
    for (const key of earlier) recipientOf(key);
    return { identity: identity!, recipient: recipientOf(identity!), earlier };
  } catch {
    throw new LifeboatError('INVALID_INPUT', `${file} holds an age identity Lifeboat cannot use as its key (only X25519 keys, AGE-SECRET-KEY-1…, are supported).`, KEY_FILE_FIX);
  }
}

/** A key file's text: a plain file (see user-file.ts: a FIFO or device is refused, never waited on) of at most MAX_KEY_FILE_BYTES. */
export async function readKeyFileText(file: string): Promise<string> {
  const tooBig = () => new LifeboatError('INVALID_INPUT', `${file} is too big to be an age key file (over ${MAX_KEY_FILE_BYTES / 1024} KiB).`, KEY_FILE_FIX);
  return (await readSmallUserFile(file, MAX_KEY_FILE_BYTES, tooBig)).toString('utf8');
}
