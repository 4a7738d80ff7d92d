// age v1 reader. The header (parsing, X25519 / scrypt / hybrid unwrapping, HMAC) goes through
// typage, which passes the C2SP vectors; the payload is decrypted here, chunk by chunk, with the Go
// reference's semantics: only authenticated plaintext is ever released.
import type { armor as AgeArmor, Decrypter as DecrypterType } from 'age-encryption';
import { LifeboatError } from '../errors.ts';
import { defaultAead, type Aead } from './aead.ts';
import { hkdf32, incrementNonce, STREAM_CHUNK } from './age-encrypt.ts';
import { ByteQueue } from './byte-queue.ts';

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
  const input = new ByteQueue(source);
  // Loaded on first use: the library is only needed to open archives, not to make them.
  const { armor, Decrypter } = await import('age-encryption');
  if (await startsWithArmor(input)) {
    const decoded = await dearmor(input, armor);
    return openAge((async function* () { yield decoded; })(), keys, aead);
  }
  const header = input.take(await findHeaderEnd(input));
  const fileKey = await unwrapFileKey(new Decrypter(), header, keys);
  const payloadKey = hkdf32(fileKey, await takeStreamNonce(input), 'payload');
  return decryptPayload(input, payloadKey, aead);
}

/** Reads just enough to see the armor's BEGIN line; armored files may have whitespace around the armor. */
async function startsWithArmor(input: ByteQueue): Promise<boolean> {
  const leadingSpace = () => input.pending.length - input.pending.toString('latin1').trimStart().length;
  while (input.pending.length - leadingSpace() < ARMOR_BEGIN.length && input.pending.length < MAX_HEADER && (await input.more()));
  return input.pending.toString('latin1', leadingSpace(), leadingSpace() + ARMOR_BEGIN.length) === ARMOR_BEGIN;
}

/** The binary age file inside the armor: the whole text is read first (up to MAX_ARMORED), then decoded. */
async function dearmor(input: ByteQueue, armor: typeof AgeArmor): Promise<Uint8Array> {
  while (await input.more()) if (input.length > MAX_ARMORED) throw new AgeError('armor', 'The armored age file is too large to read.', 'Convert it to binary with "age -d" first.');
  try {
    return armor.decode(input.pending.toString('latin1'));
  } catch (error) {
    throw new AgeError('armor', `The armored (text) age file is damaged: ${(error as Error).message}.`, DAMAGED_FIX);
  }
}

/**
 * The header's length. It ends with the line starting "---": stanza lines start "-> ", body lines
 * are base64. Reads no further than that line, and refuses to look beyond MAX_HEADER.
 */
async function findHeaderEnd(input: ByteQueue): Promise<number> {
  for (let from = 0; ; ) {
    const mark = input.pending.indexOf('\n---', from);
    if (mark >= 0) {
      const lineEnd = input.pending.indexOf('\n', mark + 1);
      if (lineEnd >= 0) return lineEnd + 1;
    } else {
      from = Math.max(0, input.pending.length - 3);
    }
    if (input.length > MAX_HEADER) throw new AgeError('header', 'This is not an age file (no header end found).', DAMAGED_FIX);
    if (!(await input.more())) throw new AgeError('header', input.length === 0 ? 'The file is empty.' : 'The age header is cut short.', DAMAGED_FIX);
  }
}

/** The file key, unwrapped from the header by typage with the keys given (which also checks the header's MAC). */
async function unwrapFileKey(decrypter: DecrypterType, header: Buffer, keys: AgeKeys): Promise<Uint8Array> {
  for (const identity of keys.identities ?? []) {
    try {
      decrypter.addIdentity(identity);
    } catch {
      throw new LifeboatError('INVALID_INPUT', 'An identity is not a valid age secret key.', 'Use the recovery-key file Lifeboat exported (a line starting AGE-SECRET-KEY-1).');
    }
  }
  for (const passphrase of keys.passphrases ?? []) decrypter.addPassphrase(passphrase);
  try {
    return await decrypter.decryptHeader(new Uint8Array(header));
  } catch (error) {
    throw explainHeaderError(error, keys);
  }
}

/** The 16-byte nonce between the header and the payload, from which the payload key is derived. */
async function takeStreamNonce(input: ByteQueue): Promise<Buffer> {
  while (input.length < 16) if (!(await input.more())) throw new AgeError('payload', 'The file ends right after its header.', DAMAGED_FIX);
  return input.take(16);
}

/**
 * The STREAM payload, one sealed chunk at a time: a chunk's plaintext is released only once it is
 * authenticated, and the final chunk (its nonce's last byte 1) must end the file — so a file cut
 * at a chunk boundary, or with anything appended, is refused.
 */
async function* decryptPayload(input: ByteQueue, payloadKey: Buffer, aead: Aead): AsyncGenerator<Buffer> {
  const nonce = Buffer.alloc(12);
  const open = aead.opener(payloadKey);
  for (let first = true; ; first = false) {
    while (input.length < SEALED_CHUNK && (await input.more()));
    const sealed = input.take(SEALED_CHUNK);
    if (sealed.length === 0) throw new AgeError('payload', first ? 'The file has no encrypted data.' : 'The file is cut short (its last block is missing).', DAMAGED_FIX);
    const { plaintext, last } = openChunk(open, nonce, sealed);
    if (last && plaintext.length === 0 && !first) throw new AgeError('payload', 'The file ends with an empty final block.', DAMAGED_FIX);
    yield plaintext;
    if (last) {
      while (input.length === 0 && (await input.more()));
      if (input.length > 0) throw new AgeError('payload', 'The file has extra data after its end.', DAMAGED_FIX);
      return;
    }
    incrementNonce(nonce);
  }
}

/**
 * Authenticates and decrypts one chunk. A short chunk can only be the final one; a full-size chunk
 * is normally not, but may be (then only the final flag opens it). Sets the nonce's final flag when
 * the chunk is the final one. Throws rather than return unauthenticated plaintext.
 */
function openChunk(open: ReturnType<Aead['opener']>, nonce: Buffer, sealed: Buffer): { plaintext: Buffer; last: boolean } {
  let last = sealed.length < SEALED_CHUNK;
  if (last) nonce[11] = 1;
  let plaintext = open(nonce, sealed);
  if (plaintext === null && !last) {
    // A full-size chunk may still be the final one.
    nonce[11] = 1;
    last = true;
    plaintext = open(nonce, sealed);
  }
  if (plaintext === null) throw new AgeError('payload', 'The encrypted data is damaged (a block failed its integrity check).', DAMAGED_FIX);
  return { plaintext, last };
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
