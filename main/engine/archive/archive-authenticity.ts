// Who made an archive. An age X25519 archive proves nothing about its author: anyone with the public
// key (it is printed in every sidecar) can make one that Lifeboat opens. So when Lifeboat writes an
// archive encrypted to its own key, checksums.json carries `authenticity`: an HMAC-SHA256 over
// checksums.json itself, keyed from a secret only that key's holder has. checksums.json holds the
// sha256 of manifest.json, globals.sql and the dump, so the tag covers everything a restore runs;
// the reader trusts the tag only after the walk has checked those sums against the bytes it read.
//
// Keys:
// - X25519: HKDF-SHA256(the identity's 32 secret bytes, info "lifeboat archive authenticity v1").
//   HKDF's output is a pseudorandom function of its input: the tag key reveals nothing about the
//   identity, and a tag (or many) reveals nothing about the tag key. The info string separates it
//   from every other use of the secret (age itself only uses it for X25519, never as HKDF input).
//   The secret never leaves the keychain's value: it is neither stored nor logged, and the derived
//   key lives only inside an ArchiveSigner or for one verification.
// - Passphrase: scrypt(passphrase, "lifeboat archive authenticity v1" + random salt), at the same
//   work factor as the archive's own age scrypt stanza (capped, see MAX_TAG_LOG_N). Only someone
//   who knows the passphrase can make the tag — the same people who can open the archive. The tag
//   is also a passphrase-guessing oracle for whoever holds the decrypted checksums.json (say, an
//   extracted copy), so it costs exactly as much per guess as the age header already does; its own
//   salt keeps it apart from age's stanza key. It is reported as 'own-passphrase', not 'own-key':
//   a passphrase is typed and shared by people, so the restore may trust it less than the key.
// - Archives encrypted only to other recipients, and unencrypted ones, carry no tag: the key holder
//   who could check it cannot open them, and Lifeboat holds no secret of theirs to make one with.
//
// The sidecar's file tag (FileTag) is a second MAC with the X25519 tag key, over the finished file's
// sha256 and size instead of checksums.json, its input starting with its own line (FILE_TAG_INFO) so
// that neither MAC can stand for the other. A restore that finds one hashes the file (no decryption)
// and, when it verifies with a keychain key, knows the file as its own before anything runs; the
// checksums inside are then verified while it restores (restore/own-archive-check.ts).
// Passphrase archives get none: checking it would cost an scrypt as large as the age header's.
//
// The tag sits inside checksums.json (not in a member of its own) so that `tar -x` still yields the
// same four kinds of files and older Lifeboat versions, which ignore unknown fields, still read it.
// The MAC input is the exact text the writer serialised without the tag: the reader re-serialises
// the object it parsed minus the tag, so what is authenticated is exactly what it goes on to use.
import { createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { recipientOf } from '../crypto/age-keys.ts';
import { bech32Decode } from '../crypto/bech32.ts';
import type { ArchiveChecksums, AuthenticityTag, FileTag } from './archive-format.ts';
import type { ArchiveAuthenticity } from '../model/archive.ts';
export type { ArchiveAuthenticity } from '../model/archive.ts';

const TAG_INFO = 'lifeboat archive authenticity v1';
const FILE_TAG_INFO = 'lifeboat archive file v1';
const TAG_VERSION = 1;
/** The age CLI's default: ~1 s and 256 MiB. A file asking more is not checked (a hostile file must not cost minutes or gigabytes). */
export const MAX_TAG_LOG_N = 18;
const MIN_TAG_LOG_N = 10;
/** Passphrase tags cost one scrypt each: a caller never has more than a couple, and a file must not make us try hundreds. */
const MAX_PASSPHRASES_TRIED = 4;

/** A tag without its MAC (each kind keeps its own fields). */
type TagFields = AuthenticityTag extends infer T ? (T extends AuthenticityTag ? Omit<T, 'mac'> : never) : never;

/** Makes the tag for one archive. Holds only the derived tag key (never the identity or passphrase), in a private field so it is never serialised or printed. */
export class ArchiveSigner {
  readonly #derive: () => Promise<{ fields: TagFields; key: Buffer }>;
  #derived: Promise<{ fields: TagFields; key: Buffer }> | null = null;

  private constructor(derive: () => Promise<{ fields: TagFields; key: Buffer }>) {
    this.#derive = derive;
  }

  /** For an archive encrypted to `identity`'s recipient. */
  static forIdentity(identity: string): ArchiveSigner {
    const derived = identityTagKey(identity);
    if (!derived) throw new Error('not an X25519 identity');
    return new ArchiveSigner(async () => ({ fields: { version: TAG_VERSION, kind: 'x25519', recipient: derived.recipient }, key: derived.key }));
  }

  /** For a passphrase archive; `logN` is the age scrypt stanza's work factor. The scrypt runs on first use (see prepare). */
  static forPassphrase(passphrase: string, logN: number): ArchiveSigner {
    return new ArchiveSigner(async () => {
      const fields: TagFields = { version: TAG_VERSION, kind: 'passphrase', salt: randomBytes(16).toString('base64'), logN: Math.min(Math.max(logN, MIN_TAG_LOG_N), MAX_TAG_LOG_N) };
      return { fields, key: await passphraseTagKey(passphrase, fields) };
    });
  }

  /** Starts deriving the key (a passphrase's scrypt, ~1 s on the thread pool) while the dump runs. */
  prepare(): void {
    this.#derived ??= this.#derive();
    this.#derived.catch(() => {}); // sign() reports it
  }

  async sign(body: Buffer): Promise<AuthenticityTag> {
    this.prepare();
    const { fields, key } = await this.#derived!;
    return { ...fields, mac: tagMac(key, fields, body) };
  }

  /** The sidecar's tag for the finished file; null for a passphrase archive (see above). */
  async fileTag(file: ArchiveFileDigest): Promise<FileTag | null> {
    this.prepare();
    const { fields, key } = await this.#derived!;
    if (fields.kind !== 'x25519') return null;
    return { version: TAG_VERSION, kind: 'x25519', recipient: fields.recipient, mac: fileMac(key, fields.recipient, file) };
  }
}

/** What a file tag is about: the whole archive file's bytes. */
export interface ArchiveFileDigest {
  sha256: string;
  bytes: number;
}

/** Whether `tag` vouches for a file with this digest, made with one of `keys`' X25519 identities (the keychain's, never a key handed over with the file). */
export function fileTagVerifies(tag: FileTag, file: ArchiveFileDigest, keys: AgeKeys): boolean {
  for (const identity of keys.identities ?? []) {
    const derived = identityTagKey(identity);
    if (derived && derived.recipient === tag.recipient && macEquals(fileMac(derived.key, tag.recipient, file), tag.mac)) return true;
  }
  return false;
}

/** A sidecar's file tag when it is exactly what Lifeboat writes; null for anything else. */
export function parseFileTag(value: unknown): FileTag | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const tag = value as Record<string, unknown>;
  if (tag.version !== TAG_VERSION || tag.kind !== 'x25519' || typeof tag.mac !== 'string' || !/^[0-9a-f]{64}$/.test(tag.mac)) return null;
  if (typeof tag.recipient !== 'string' || !/^age1[0-9a-z]{58}$/.test(tag.recipient)) return null;
  return { version: TAG_VERSION, kind: 'x25519', recipient: tag.recipient, mac: tag.mac };
}

function fileMac(key: Buffer, recipient: string, file: ArchiveFileDigest): string {
  const header = JSON.stringify({ version: TAG_VERSION, kind: 'x25519', recipient });
  return createHmac('sha256', key).update(`${FILE_TAG_INFO}\n${header}\n${JSON.stringify({ sha256: file.sha256, bytes: file.bytes })}`).digest('hex');
}

/** checksums.json as the writer stores it: tagged when a signer is given, byte for byte as before otherwise. */
export async function checksumsMember(checksums: ArchiveChecksums, signer: ArchiveSigner | null): Promise<Buffer> {
  const body = JSON.stringify(checksums, null, 2);
  if (!signer) return Buffer.from(`${body}\n`);
  const authenticity = await signer.sign(Buffer.from(body));
  return Buffer.from(`${JSON.stringify({ ...checksums, authenticity }, null, 2)}\n`);
}

/**
 * The verdict on checksums.json's tag with the keys at hand. Only call it once the walk has checked
 * every sum in `checksums` against the archive's bytes: the tag vouches for the sums, not the bytes.
 */
export async function verifyAuthenticity(checksums: ArchiveChecksums, keys: AgeKeys): Promise<ArchiveAuthenticity> {
  if (!Object.hasOwn(checksums, 'authenticity')) return 'none';
  const { authenticity, ...rest } = checksums;
  const tag = parseTag(authenticity);
  // A tag Lifeboat writes always comes with manifest.json's sum: without it the manifest is not covered.
  if (!tag || rest.manifest === undefined || rest.manifest === null) return 'mismatch';
  const body = Buffer.from(JSON.stringify(rest, null, 2));
  const { mac, ...fields } = tag;
  if (fields.kind === 'x25519') {
    for (const identity of keys.identities ?? []) {
      const derived = identityTagKey(identity);
      if (derived && derived.recipient === fields.recipient && macEquals(tagMac(derived.key, fields, body), mac)) return 'own-key';
    }
    return 'mismatch';
  }
  for (const passphrase of (keys.passphrases ?? []).slice(0, MAX_PASSPHRASES_TRIED)) {
    if (macEquals(tagMac(await passphraseTagKey(passphrase, fields), fields, body), mac)) return 'own-passphrase';
  }
  return 'mismatch';
}

/** The tag's key and recipient for an X25519 identity, or null for anything else (e.g. a post-quantum identity). */
function identityTagKey(identity: string): { recipient: string; key: Buffer } | null {
  let secret: Buffer;
  try {
    const decoded = bech32Decode(identity.trim());
    if (decoded.prefix !== 'age-secret-key-' || decoded.bytes.length !== 32) return null;
    secret = decoded.bytes;
  } catch {
    return null;
  }
  try {
    return { recipient: recipientOf(identity), key: Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), TAG_INFO, 32)) };
  } finally {
    secret.fill(0);
  }
}

function passphraseTagKey(passphrase: string, fields: Extract<TagFields, { kind: 'passphrase' }>): Promise<Buffer> {
  const N = 2 ** fields.logN;
  const salt = Buffer.concat([Buffer.from(TAG_INFO), Buffer.from(fields.salt, 'base64')]);
  return new Promise((resolve, reject) => scrypt(passphrase, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 }, (error, key) => (error ? reject(error) : resolve(key))));
}

/** The MAC binds the tag's own fields (which key, which salt) and the exact checksums text. */
function tagMac(key: Buffer, fields: TagFields, body: Buffer): string {
  const header = fields.kind === 'x25519'
    ? JSON.stringify({ version: fields.version, kind: fields.kind, recipient: fields.recipient })
    : JSON.stringify({ version: fields.version, kind: fields.kind, salt: fields.salt, logN: fields.logN });
  return createHmac('sha256', key).update(`${TAG_INFO}\n${header}\n`).update(body).digest('hex');
}

function macEquals(actual: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(actual, 'hex'), Buffer.from(expected, 'hex'));
}

/** The tag's fields when they are exactly what Lifeboat writes; null for anything else (a hostile file may put anything here). */
function parseTag(value: unknown): AuthenticityTag | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const tag = value as Record<string, unknown>;
  if (tag.version !== TAG_VERSION || typeof tag.mac !== 'string' || !/^[0-9a-f]{64}$/.test(tag.mac)) return null;
  if (tag.kind === 'x25519' && typeof tag.recipient === 'string' && /^age1[0-9a-z]{58}$/.test(tag.recipient)) {
    return { version: TAG_VERSION, kind: 'x25519', recipient: tag.recipient, mac: tag.mac };
  }
  if (tag.kind === 'passphrase' && typeof tag.salt === 'string' && /^[A-Za-z0-9+/]{22}==$/.test(tag.salt) && Number.isInteger(tag.logN)) {
    const logN = tag.logN as number;
    if (logN >= MIN_TAG_LOG_N && logN <= MAX_TAG_LOG_N) return { version: TAG_VERSION, kind: 'passphrase', salt: tag.salt, logN, mac: tag.mac };
  }
  return null;
}
