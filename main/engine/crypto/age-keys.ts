import crypto from 'node:crypto';
import { LifeboatError } from '../errors.ts';
import { bech32Decode, bech32Encode } from './bech32.ts';

// Raw 32-byte X25519 keys wrapped in fixed DER prefixes: accepted by OpenSSL and BoringSSL alike.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export const publicKeyObject = (raw: Uint8Array) => crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
export const privateKeyObject = (raw: Uint8Array) => crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
export const rawPublicKey = (key: crypto.KeyObject) => key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);

export interface AgeKeyPair {
  /** AGE-SECRET-KEY-1… — the secret; goes to the keychain and the recovery-key file only. */
  identity: string;
  /** age1… — the public recipient; safe to show and store. */
  recipient: string;
}

export function generateAgeKeyPair(): AgeKeyPair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('x25519');
  const secret = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return { identity: bech32Encode('age-secret-key-', secret).toUpperCase(), recipient: bech32Encode('age', rawPublicKey(publicKey)) };
}

export function recipientOf(identity: string): string {
  const { prefix, bytes } = bech32Decode(identity.trim());
  if (prefix !== 'age-secret-key-' || bytes.length !== 32) throw new Error('not an X25519 identity');
  return bech32Encode('age', rawPublicKey(crypto.createPublicKey(privateKeyObject(bytes))));
}

/** The 32-byte public key of an age1… recipient, or an error naming what is wrong with it. */
export function parseRecipient(recipient: string): Buffer {
  try {
    const { prefix, bytes } = bech32Decode(recipient.trim());
    if (prefix === 'age' && bytes.length === 32) return bytes;
  } catch {
    // fall through to the message below
  }
  throw new LifeboatError('INVALID_INPUT', `"${recipient.slice(0, 90)}" is not an age X25519 recipient.`, 'A recipient is a public key starting with "age1", as printed by age-keygen or "lifeboat key show".');
}

/** Identities (AGE-SECRET-KEY-1… lines) from the text of an age identity file, as `age -i` reads it. */
export function parseIdentityFile(text: string, file: string): string[] {
  const identities = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  if (identities.length === 0) throw new LifeboatError('INVALID_INPUT', `${file} holds no age identity.`, 'Use the recovery-key file Lifeboat exported, or a file made by age-keygen.');
  for (const identity of identities) {
    if (!/^AGE-SECRET-KEY-1/.test(identity) && !/^AGE-SECRET-KEY-PQ-1/.test(identity)) {
      throw new LifeboatError('INVALID_INPUT', `${file} contains a line that is not an age identity.`, 'Each non-comment line must start with AGE-SECRET-KEY-1.');
    }
  }
  return identities;
}

/** The recovery-key file: the same text format age-keygen writes. */
/**
 * The recovery-key file, in age-keygen's format: the key, then any earlier keys it replaced (they
 * open the backups made before) — `age -d -i FILE` tries each identity in the file.
 */
export function recoveryKeyFileText(pair: AgeKeyPair, createdAt: Date, earlier: AgeKeyPair[] = []): string {
  const older = earlier.map((k) => `# earlier key (opens the backups made before the key above), public key: ${k.recipient}\n${k.identity}\n`).join('');
  return `# created: ${createdAt.toISOString()}\n# public key: ${pair.recipient}\n# Lifeboat recovery key: whoever has this file can decrypt your backups; without it nobody can.\n${pair.identity}\n${older}`;
}
