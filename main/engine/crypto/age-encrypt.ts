// age v1 (age-encryption.org/v1) writer: X25519 recipients or one scrypt passphrase, STREAM payload
// in 64 KiB ChaCha20-Poly1305 chunks. Output opens with `age -d`. Memory: one chunk.
import crypto from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { defaultAead, type Aead } from './aead.ts';
import { parseRecipient, publicKeyObject, rawPublicKey } from './age-keys.ts';

export const AGE_VERSION_LINE = 'age-encryption.org/v1';
export const STREAM_CHUNK = 64 * 1024;
const ZERO_NONCE = Buffer.alloc(12); // stanza keys are single-use, so a zero nonce is safe
const DEFAULT_SCRYPT_LOG_N = 18; // what the age CLI uses: ~1 s here

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

/** A Transform: plaintext in, a complete age file out. */
export function createAgeEncryptStream(encryption: AgeEncryption, aead: Aead = defaultAead()): Transform {
  const fileKey = crypto.randomBytes(16);
  const nonce = Buffer.alloc(12);
  const chunk = Buffer.allocUnsafe(STREAM_CHUNK);
  let used = 0;
  let payloadKey: Buffer | null = null;
  let headerSent = false;

  // Recipients are checked now, so a bad one fails before any work; scrypt runs asynchronously.
  if ('recipients' in encryption) {
    if (encryption.recipients.length === 0) throw new Error('age encryption needs at least one recipient');
    encryption.recipients.forEach(parseRecipient);
  }
  const header = (async () => {
    const stanzas = 'recipients' in encryption
      ? encryption.recipients.map((r) => x25519Stanza(r, fileKey, aead))
      : [await scryptStanza(encryption.passphrase, fileKey, aead, encryption.scryptLogN ?? DEFAULT_SCRYPT_LOG_N)];
    const streamNonce = crypto.randomBytes(16);
    payloadKey = hkdf32(fileKey, streamNonce, 'payload');
    return Buffer.concat([encodeHeader(stanzas, fileKey), streamNonce]);
  })();
  header.catch(() => {}); // reported through the stream

  const sendHeader = async (stream: Transform) => {
    if (headerSent) return;
    stream.push(await header);
    headerSent = true;
  };
  const sealChunk = (stream: Transform, plaintext: Buffer) => {
    stream.push(aead.seal(payloadKey!, nonce, plaintext));
    incrementNonce(nonce);
  };

  return new Transform({
    async transform(data: Buffer, _encoding, callback: TransformCallback) {
      try {
        await sendHeader(this);
        let offset = 0;
        while (offset < data.length) {
          // A full chunk is sealed as non-final only once more data is known to follow.
          if (used === STREAM_CHUNK) {
            sealChunk(this, chunk);
            used = 0;
          }
          if (used === 0 && data.length - offset > STREAM_CHUNK) {
            sealChunk(this, data.subarray(offset, offset + STREAM_CHUNK));
            offset += STREAM_CHUNK;
            continue;
          }
          const n = Math.min(STREAM_CHUNK - used, data.length - offset);
          data.copy(chunk, used, offset, offset + n);
          used += n;
          offset += n;
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    async flush(callback: TransformCallback) {
      try {
        await sendHeader(this);
        nonce[11] = 1; // the last chunk carries the final flag
        this.push(aead.seal(payloadKey!, nonce, chunk.subarray(0, used)));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
