import crypto from 'node:crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

/** ChaCha20-Poly1305 with a 16-byte tag appended. open() returns null when authentication fails. */
export interface Aead {
  readonly name: 'node' | 'noble';
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer;
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null;
  /**
   * Many messages under one key (age's STREAM payload): the key is prepared once, and ciphertext
   * and tag come back separately, so nothing is concatenated. Same bytes as seal().
   */
  sealer(key: Uint8Array): (nonce: Uint8Array, plaintext: Uint8Array) => [ciphertext: Buffer, tag: Buffer];
  /** open() for many messages under one key (age's STREAM payload): the key is prepared once, not per 64 KiB chunk. */
  opener(key: Uint8Array): (nonce: Uint8Array, sealed: Uint8Array) => Buffer | null;
}

const TAG = 16;

const nodeAead: Aead = {
  name: 'node',
  seal(key, nonce, plaintext) {
    const cipher = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  },
  open(key, nonce, sealed) {
    return openWith(key, nonce, sealed);
  },
  opener(key) {
    // Importing a raw key on every chunk cost ~0.3 s of CPU per GB of payload.
    const keyObject = crypto.createSecretKey(key);
    return (nonce, sealed) => openWith(keyObject, nonce, sealed);
  },
  sealer(key) {
    const keyObject = crypto.createSecretKey(key);
    return (nonce, plaintext) => {
      const cipher = crypto.createCipheriv('chacha20-poly1305', keyObject, nonce, { authTagLength: TAG });
      const ciphertext = cipher.update(plaintext);
      cipher.final();
      return [ciphertext, cipher.getAuthTag()];
    };
  },
};

function openWith(key: Uint8Array | crypto.KeyObject, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG) return null;
  const decipher = crypto.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG));
  try {
    decipher.final();
  } catch {
    return null; // never release unauthenticated plaintext
  }
  return plaintext;
}

const nobleAead: Aead = {
  name: 'noble',
  seal: (key, nonce, plaintext) => Buffer.from(chacha20poly1305(key, nonce).encrypt(plaintext)),
  open(key, nonce, sealed) {
    try {
      return Buffer.from(chacha20poly1305(key, nonce).decrypt(sealed));
    } catch {
      return null;
    }
  },
  opener(key) {
    return (nonce, sealed) => nobleAead.open(key, nonce, sealed);
  },
  sealer(key) {
    return (nonce, plaintext) => {
      const sealed = Buffer.from(chacha20poly1305(key, nonce).encrypt(plaintext));
      return [sealed.subarray(0, sealed.length - TAG), sealed.subarray(sealed.length - TAG)];
    };
  },
};

let chosen: Aead | null = null;

/**
 * node:crypto runs ~1.5 GB/s here, but Electron's BoringSSL has no chacha20-poly1305 cipher;
 * there the pure-JS @noble/ciphers (~200 MB/s) takes over. Both produce identical bytes.
 */
export function defaultAead(): Aead {
  chosen ??= crypto.getCiphers().includes('chacha20-poly1305') ? nodeAead : nobleAead;
  return chosen;
}

export const AEADS = { node: nodeAead, noble: nobleAead } as const;
