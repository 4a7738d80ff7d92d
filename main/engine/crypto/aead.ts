import crypto from 'node:crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

/** ChaCha20-Poly1305 with a 16-byte tag appended. open() returns null when authentication fails. */
export interface Aead {
  readonly name: 'node' | 'noble';
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer;
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null;
}

const TAG = 16;

const nodeAead: Aead = {
  name: 'node',
  seal(key, nonce, plaintext) {
    const cipher = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  },
  open(key, nonce, sealed) {
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
  },
};

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
