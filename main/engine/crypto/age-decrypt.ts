// age v1 reader. The header (parsing, X25519 / scrypt / hybrid unwrapping, HMAC) goes through
// typage, which passes the C2SP vectors; the payload is decrypted here, chunk by chunk, with the Go
// reference's semantics: only authenticated plaintext is ever released.
import type { Decrypter as DecrypterType } from 'age-encryption';
import { LifeboatError } from '../errors.ts';
import { defaultAead, type Aead } from './aead.ts';
import { hkdf32, incrementNonce, STREAM_CHUNK } from './age-encrypt.ts';

const SEALED_CHUNK = STREAM_CHUNK + 16;
const MAX_HEADER = 1 << 20;
const MAX_ARMORED = 64 << 20;
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

export interface AgeKeys {
  identities?: string[];
  passphrases?: string[];
}

/** Where decryption failed: the header (wrong key / damaged header) or the payload (damaged data). */
export class AgeError extends LifeboatError {
  readonly stage: 'header' | 'no-match' | 'payload' | 'armor';

  constructor(stage: AgeError['stage'], message: string, fix: string) {
    super(stage === 'no-match' ? 'WRONG_KEY' : 'ARCHIVE_DAMAGED', message, fix);
    this.stage = stage;
  }
}

const DAMAGED_FIX = 'The file was changed or cut short after it was written. Use another copy of this backup, or an earlier backup.';

/**
 * Opens an age file from a byte source. Resolves once the header is verified (rejects on a wrong
 * key or a damaged header); the returned iterable yields plaintext and throws on damaged data.
 */
export async function openAge(source: AsyncIterable<Uint8Array>, keys: AgeKeys, aead: Aead = defaultAead()): Promise<AsyncIterable<Buffer>> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Buffer = Buffer.alloc(0);
  let eof = false;
  const more = async (): Promise<boolean> => {
    if (eof) return false;
    const next = await iterator.next();
    if (next.done) {
      eof = true;
      return false;
    }
    pending = pending.length ? Buffer.concat([pending, next.value]) : Buffer.from(next.value);
    return true;
  };

  // Armored files may have whitespace around the armor.
  const leadingSpace = () => pending.length - pending.toString('latin1').trimStart().length;
  // Loaded on first use: the library is only needed to open archives, not to make them.
  const { armor, Decrypter } = await import('age-encryption');
  while (pending.length - leadingSpace() < ARMOR_BEGIN.length && pending.length < MAX_HEADER && (await more()));
  if (pending.toString('latin1', leadingSpace(), leadingSpace() + ARMOR_BEGIN.length) === ARMOR_BEGIN) {
    while (await more()) if (pending.length > MAX_ARMORED) throw new AgeError('armor', 'The armored age file is too large to read.', 'Convert it to binary with "age -d" first.');
    let decoded: Uint8Array;
    try {
      decoded = armor.decode(pending.toString('latin1'));
    } catch (error) {
      throw new AgeError('armor', `The armored (text) age file is damaged: ${(error as Error).message}.`, DAMAGED_FIX);
    }
    return openAge((async function* () { yield decoded; })(), keys, aead);
  }

  // The header ends with the line starting "---": stanza lines start "-> ", body lines are base64.
  let headerEnd: number;
  for (let from = 0; ; ) {
    const mark = pending.indexOf('\n---', from);
    if (mark >= 0) {
      const lineEnd = pending.indexOf('\n', mark + 1);
      if (lineEnd >= 0) {
        headerEnd = lineEnd + 1;
        break;
      }
    } else {
      from = Math.max(0, pending.length - 3);
    }
    if (pending.length > MAX_HEADER) throw new AgeError('header', 'This is not an age file (no header end found).', DAMAGED_FIX);
    if (!(await more())) throw new AgeError('header', pending.length === 0 ? 'The file is empty.' : 'The age header is cut short.', DAMAGED_FIX);
  }

  const decrypter: DecrypterType = new Decrypter();
  for (const identity of keys.identities ?? []) {
    try {
      decrypter.addIdentity(identity);
    } catch {
      throw new LifeboatError('INVALID_INPUT', 'An identity is not a valid age secret key.', 'Use the recovery-key file Lifeboat exported (a line starting AGE-SECRET-KEY-1).');
    }
  }
  for (const passphrase of keys.passphrases ?? []) decrypter.addPassphrase(passphrase);
  let fileKey: Uint8Array;
  try {
    fileKey = await decrypter.decryptHeader(new Uint8Array(pending.subarray(0, headerEnd)));
  } catch (error) {
    throw explainHeaderError(error, keys);
  }
  pending = pending.subarray(headerEnd);

  while (pending.length < 16) if (!(await more())) throw new AgeError('payload', 'The file ends right after its header.', DAMAGED_FIX);
  const payloadKey = hkdf32(fileKey, pending.subarray(0, 16), 'payload');
  pending = pending.subarray(16);

  return (async function* payload() {
    const nonce = Buffer.alloc(12);
    for (let first = true; ; first = false) {
      while (pending.length < SEALED_CHUNK && (await more()));
      const size = Math.min(SEALED_CHUNK, pending.length);
      const sealed = pending.subarray(0, size);
      pending = pending.subarray(size);
      if (size === 0) throw new AgeError('payload', first ? 'The file has no encrypted data.' : 'The file is cut short (its last block is missing).', DAMAGED_FIX);
      let last = size < SEALED_CHUNK;
      if (last) nonce[11] = 1;
      let plaintext = aead.open(payloadKey, nonce, sealed);
      if (plaintext === null && !last) {
        // A full-size chunk may still be the final one.
        nonce[11] = 1;
        last = true;
        plaintext = aead.open(payloadKey, nonce, sealed);
      }
      if (plaintext === null) throw new AgeError('payload', 'The encrypted data is damaged (a block failed its integrity check).', DAMAGED_FIX);
      if (last && plaintext.length === 0 && !first) throw new AgeError('payload', 'The file ends with an empty final block.', DAMAGED_FIX);
      yield plaintext;
      if (last) {
        while (pending.length === 0 && (await more()));
        if (pending.length > 0) throw new AgeError('payload', 'The file has extra data after its end.', DAMAGED_FIX);
        return;
      }
      incrementNonce(nonce);
    }
  })();
}

function explainHeaderError(error: unknown, keys: AgeKeys): LifeboatError {
  const message = error instanceof Error ? error.message : String(error);
  if (/no identity matched/.test(message)) {
    return (keys.passphrases?.length ?? 0) > 0
      ? new AgeError('no-match', 'The passphrase does not open this archive.', 'Check the passphrase (it is case-sensitive), or use the identity file if the archive was encrypted to a key.')
      : new AgeError('no-match', 'None of the keys given can open this archive: it was encrypted to a different key or with a passphrase.', 'Use the recovery-key file of the Lifeboat that made it (--identity), or its passphrase (--passphrase-env).');
  }
  if (/HMAC/.test(message)) return new AgeError('header', 'The archive header failed its integrity check (it was modified).', DAMAGED_FIX);
  if (/work factor/.test(message)) return new AgeError('header', 'The passphrase file asks for an unreasonably expensive key derivation.', 'Only open archives from sources you trust.');
  return new AgeError('header', `The age header is damaged or not an age file (${message}).`, DAMAGED_FIX);
}
