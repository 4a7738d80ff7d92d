// age v1 (age-encryption.org/v1) writer: X25519 recipients or one scrypt passphrase, STREAM payload
// in 64 KiB ChaCha20-Poly1305 chunks. Output opens with `age -d`. Memory: one chunk.
import crypto from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { defaultAead, type Aead } from './aead.ts';
import { parseRecipient, publicKeyObject, rawPublicKey } from './age-keys.ts';

export const AGE_VERSION_LINE = 'age-encryption.org/v1';
export const STREAM_CHUNK = 64 * 1024;
const ZERO_NONCE = Buffer.alloc(12); // stanza keys are single-use, so a zero nonce is safe
export const DEFAULT_SCRYPT_LOG_N = 18; // what the age CLI uses: ~1 s here

export type AgeEncryption = { recipients: string[] } | { passphrase: string; scryptLogN?: number };

interface Stanza {
  args: string[];
  body: Buffer;
}

export const hkdf32 = (ikm: Uint8Array, salt: Uint8Array, info: string) => Buffer.from(crypto.hkdfSync('sha256', ikm, salt, info, 32));
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/=+$/, '');

function x25519Stanza(recipient: string, fileKey: Buffer, aead: Aead): Stanza {
  const recipientKey = parseRecipient(recipient);
  const ephemeral = crypto.generateKeyPairSync('x25519');
  const ephemeralShare = rawPublicKey(ephemeral.publicKey);
  const shared = crypto.diffieHellman({ privateKey: ephemeral.privateKey, publicKey: publicKeyObject(recipientKey) });
  if (shared.every((byte) => byte === 0)) throw new Error('X25519 produced an all-zero shared secret');
  const wrapKey = hkdf32(shared, Buffer.concat([ephemeralShare, recipientKey]), 'age-encryption.org/v1/X25519');
  return { args: ['X25519', base64(ephemeralShare)], body: aead.seal(wrapKey, ZERO_NONCE, fileKey) };
}

/** node:crypto's scrypt runs on the thread pool, so the event loop (and the UI's IPC) keeps going. */
function scrypt(passphrase: string, salt: Buffer, logN: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(passphrase, salt, 32, { N: 2 ** logN, r: 8, p: 1, maxmem: 256 * 2 ** logN * 8 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

async function scryptStanza(passphrase: string, fileKey: Buffer, aead: Aead, logN: number): Promise<Stanza> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(passphrase, Buffer.concat([Buffer.from('age-encryption.org/v1/scrypt'), salt]), logN);
  return { args: ['scrypt', base64(salt), String(logN)], body: aead.seal(key, ZERO_NONCE, fileKey) };
}

function encodeHeader(stanzas: Stanza[], fileKey: Buffer): Buffer {
  let text = `${AGE_VERSION_LINE}\n`;
  for (const stanza of stanzas) {
    text += `-> ${stanza.args.join(' ')}\n`;
    const body = base64(stanza.body);
    // Full lines are 64 columns; the last line is always shorter (possibly empty).
    for (let i = 0; i <= body.length; i += 64) text += `${body.slice(i, i + 64)}\n`;
  }
  text += '---';
  const mac = crypto.createHmac('sha256', hkdf32(fileKey, Buffer.alloc(0), 'header')).update(text).digest();
  return Buffer.from(`${text} ${base64(mac)}\n`);
}

export function incrementNonce(nonce: Buffer): void {
  for (let i = 10; i >= 0; i--) {
    nonce[i] = (nonce[i]! + 1) & 0xff;
    if (nonce[i] !== 0) return;
  }
  throw new Error('STREAM chunk counter overflow');
}

/**
 * An age file as a synchronous push API, for hot paths: `header` (once; scrypt runs in the
 * background) comes first in the file, then whatever write() and end() emit, in order. Sealed
 * chunks are fresh buffers; `data` is never kept, so the caller may reuse it once write() returns.
 */
export class AgeWriter {
  readonly header: Promise<Buffer>;
  readonly #seal: (nonce: Uint8Array, plaintext: Uint8Array) => [Buffer, Buffer];
  readonly #nonce = Buffer.alloc(12);
  readonly #stage = Buffer.allocUnsafe(STREAM_CHUNK);
  #used = 0;
  #ended = false;

  constructor(encryption: AgeEncryption, aead: Aead = defaultAead()) {
    const fileKey = crypto.randomBytes(16);
    // Recipients are checked now, so a bad one fails before any work.
    if ('recipients' in encryption) {
      if (encryption.recipients.length === 0) throw new Error('age encryption needs at least one recipient');
      encryption.recipients.forEach(parseRecipient);
    }
    const streamNonce = crypto.randomBytes(16);
    this.#seal = aead.sealer(hkdf32(fileKey, streamNonce, 'payload'));
    this.header = (async () => {
      const stanzas = 'recipients' in encryption
        ? encryption.recipients.map((r) => x25519Stanza(r, fileKey, aead))
        : [await scryptStanza(encryption.passphrase, fileKey, aead, encryption.scryptLogN ?? DEFAULT_SCRYPT_LOG_N)];
      return Buffer.concat([encodeHeader(stanzas, fileKey), streamNonce]);
    })();
    this.header.catch(() => {}); // the caller awaits it
  }

  write(data: Uint8Array, emit: (piece: Buffer) => void): void {
    if (this.#ended) throw new Error('age stream already ended');
    let offset = 0;
    while (offset < data.length) {
      // A full chunk is sealed as non-final only once more data is known to follow.
      if (this.#used === STREAM_CHUNK) {
        this.#sealChunk(this.#stage, emit);
        this.#used = 0;
      }
      if (this.#used === 0 && data.length - offset > STREAM_CHUNK) {
        this.#sealChunk(data.subarray(offset, offset + STREAM_CHUNK), emit); // by reference: no copy
        offset += STREAM_CHUNK;
        continue;
      }
      const n = Math.min(STREAM_CHUNK - this.#used, data.length - offset);
      this.#stage.set(data.subarray(offset, offset + n), this.#used);
      this.#used += n;
      offset += n;
    }
  }

  /** Seals the last chunk (possibly empty) with the final flag. */
  end(emit: (piece: Buffer) => void): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#nonce[11] = 1;
    this.#sealChunk(this.#stage.subarray(0, this.#used), emit);
  }

  #sealChunk(plaintext: Uint8Array, emit: (piece: Buffer) => void): void {
    const [ciphertext, tag] = this.#seal(this.#nonce, plaintext);
    emit(ciphertext);
    emit(tag);
    if (!this.#ended) incrementNonce(this.#nonce);
  }
}

/** A Transform: plaintext in, a complete age file out. */
export function createAgeEncryptStream(encryption: AgeEncryption, aead: Aead = defaultAead()): Transform {
  const writer = new AgeWriter(encryption, aead);
  let headerSent = false;
  const sendHeader = async (stream: Transform) => {
    if (headerSent) return;
    stream.push(await writer.header);
    headerSent = true;
  };
  return new Transform({
    async transform(data: Buffer, _encoding, callback: TransformCallback) {
      try {
        await sendHeader(this);
        writer.write(data, (piece) => this.push(piece));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    async flush(callback: TransformCallback) {
      try {
        await sendHeader(this);
        writer.end((piece) => this.push(piece));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
