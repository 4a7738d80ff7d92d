// Whether an SSH host key is trusted, decided the way OpenSSH's client decides it from known_hosts
// files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"; hostfile.c and match.c): so a key the user already
// trusts for `ssh` is trusted here, and a line `ssh` would ignore is ignored here too. The files are
// the user's and may hold anything: every line is parsed defensively, a bad line is skipped, and the
// work is linear in the file's size (capped at 16 MiB) whatever the lines look like.
import { createHash, createHmac, ECDH, hash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import { fsyncDirectory } from '../files/durable-files.ts';

/** Files larger than this are refused rather than read: no real known_hosts comes close. */
export const MAX_KNOWN_HOSTS_BYTES = 16 * 1024 * 1024;

/** OpenSSH's fingerprint: "SHA256:" + base64 (no padding) of sha256(key blob). */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside the blob, e.g. "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa". Throws LifeboatError('INVALID_INPUT', …) on a malformed blob. */
export function keyTypeOf(keyBlob: Buffer): string {
  const type = parseKeyBlob(keyBlob);
  if (type === null) {
    throw new LifeboatError('INVALID_INPUT', 'The SSH host key is malformed: it is not a public key in the SSH format.', 'Check that the server is an SSH server; if it is, report this with its key type.');
  }
  return type;
}

/** known_hosts host field as OpenSSH writes it: "host" for port 22, "[host]:port" otherwise. */
export function knownHostsName(host: string, port: number): string {
  // The same characters a profile's SSH host may hold; anything else (spaces, commas, wildcards, a
  // newline) would change what a line written with this name means.
  if (host.length === 0 || host.length > 255 || !/^[A-Za-z0-9._:%[\]-]+$/.test(host)) {
    throw new LifeboatError('INVALID_INPUT', `"${host.slice(0, 80)}" is not a valid SSH host name.`, 'Use a host name or IP address, e.g. bastion.example.com.');
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LifeboatError('INVALID_INPUT', `${String(port)} is not a valid SSH port.`, 'Use a port between 1 and 65535 (SSH listens on 22 by default).');
  }
  // OpenSSH lowercases the name before it looks it up or writes it (ssh.c, write_host_entry()).
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

export type HostKeyVerdict =
  | { kind: 'trusted'; file: string }
  | { kind: 'unknown'; fingerprint: string; keyType: string }
  | { kind: 'changed'; fingerprint: string; keyType: string; known: { fingerprint: string; keyType: string; file: string; line: number }[] }
  | { kind: 'revoked'; fingerprint: string; file: string; line: number };

/** A valid key line whose host field matches the host looked up. */
export interface KnownHostEntry {
  file: string;
  /** 1-based, as ssh-keygen -F reports it. */
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  keyType: string;
  fingerprint: string;
  keyBlob: Buffer;
}

/**
 * Every valid line of the files (in order) whose host field matches host:port, markers included —
 * what `ssh-keygen -F` would list. Missing files count as empty; files over 16 MiB are refused.
 */
export async function findHostKeys(files: string[], host: string, port: number): Promise<KnownHostEntry[]> {
  const matcher = new HostMatcher(knownHostsName(host, port));
  const found: KnownHostEntry[] = [];
  for (const file of files) {
    const text = await readHostsFile(file);
    if (text === null) continue;
    // Line by line without splitting: a file of 16 million newlines stays one string.
    for (let start = 0, line = 1; start < text.length; line++) {
      const newline = text.indexOf('\n', start);
      const end = newline < 0 ? text.length : newline;
      const entry = parseLine(text.slice(start, end), matcher);
      if (entry) found.push({ file, line, ...entry, fingerprint: sha256Fingerprint(entry.keyBlob) });
      start = end + 1;
    }
  }
  return found;
}

/** Checks the offered key against every file in order (missing files count as empty; files over 16 MiB are refused with a LifeboatError). */
export async function checkHostKey(files: string[], host: string, port: number, keyBlob: Buffer): Promise<HostKeyVerdict> {
  const keyType = keyTypeOf(keyBlob);
  const fingerprint = sha256Fingerprint(keyBlob);
  const entries = await findHostKeys(files, host, port);
  // A revoked key is refused even if another line trusts it (OpenSSH checks revocation last and it wins).
  const revoked = entries.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob));
  if (revoked) return { kind: 'revoked', fingerprint, file: revoked.file, line: revoked.line };
  // @cert-authority lines vouch for host certificates, which the tunnel does not accept: not keys of the host.
  const plain = entries.filter((e) => e.marker === null);
  const trusted = plain.find((e) => e.keyBlob.equals(keyBlob));
  if (trusted) return { kind: 'trusted', file: trusted.file };
  // Keys of the offered type are the ones it replaced. Keys of other types only: OpenSSH would have
  // negotiated one of those (see knownKeyTypes), so the server offering this one is a change too.
  const sameType = plain.filter((e) => e.keyType === keyType);
  const known = (sameType.length > 0 ? sameType : plain).map((e) => ({ fingerprint: e.fingerprint, keyType: e.keyType, file: e.file, line: e.line }));
  return known.length > 0 ? { kind: 'changed', fingerprint, keyType, known } : { kind: 'unknown', fingerprint, keyType };
}

/** Known key types for host:port across the files (lets the caller prefer those host-key algorithms, as OpenSSH does). */
export async function knownKeyTypes(files: string[], host: string, port: number): Promise<string[]> {
  const entries = await findHostKeys(files, host, port);
  return [...new Set(entries.filter((e) => e.marker === null).map((e) => e.keyType))];
}

/** Appends "name keytype base64\n" to the file (created 0600, parent folder created 0700), hashed (|1|salt|hmac) when `hashed` is true; durable (fsync). */
export async function addKnownHost(file: string, host: string, port: number, keyBlob: Buffer, options: { hashed?: boolean } = {}): Promise<void> {
  const name = knownHostsName(host, port);
  const keyType = keyTypeOf(keyBlob);
  if (!LINE_KEY_TYPES.has(keyType)) {
    throw new LifeboatError('INVALID_INPUT', `Lifeboat cannot store an SSH host key of type ${keyType.slice(0, 64)}.`, 'Ask the server\'s administrator for an Ed25519, ECDSA or RSA host key.');
  }
  const hostField = options.hashed ? hashHostName(name, randomBytes(SHA1_BYTES)) : name;
  const entry = `${hostField} ${keyType} ${keyBlob.toString('base64')}\n`;
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // O_NONBLOCK: a FIFO planted under the name fails the regular-file check below instead of hanging the open.
  const flags = fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT | (fsConstants.O_NONBLOCK ?? 0);
  const handle = await open(file, flags, 0o600);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new LifeboatError('INVALID_INPUT', `${file} is not a regular file, so no host key can be added to it.`, 'Move it aside and try again.');
    // A last line without its newline would otherwise swallow the new entry.
    const last = Buffer.alloc(1);
    const unterminated = stats.size > 0 && (await handle.read(last, 0, 1, stats.size - 1)).bytesRead === 1 && last[0] !== 0x0a;
    await handle.write(unterminated ? `\n${entry}` : entry);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsyncDirectory(dir);
}

// ---- Reading the files ----

/** The file's text, one char per byte (latin1, like C's view of it); null when it does not exist. */
async function readHostsFile(file: string): Promise<string | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new LifeboatError('INVALID_INPUT', `Could not read the known_hosts file ${file}: ${(error as Error).message}`, 'Check that the file is readable by your user.', { cause: error });
  }
  try {
    // Only a regular file holds keys: a folder, a device or a FIFO is never read (a FIFO or a
    // terminal would stall the connection), so it holds none, like an empty file.
    const stats = await handle.stat();
    if (!stats.isFile()) return '';
    if (stats.size > MAX_KNOWN_HOSTS_BYTES) throw tooLarge(file);
    return (await readAtMost(handle, MAX_KNOWN_HOSTS_BYTES, file)).toString('latin1');
  } finally {
    await handle.close();
  }
}

/** Reads to the end, refusing a file that grew past `limit` since it was measured. */
async function readAtMost(handle: FileHandle, limit: number, file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    total += bytesRead;
    if (total > limit) throw tooLarge(file);
    chunks.push(chunk.subarray(0, bytesRead));
  }
}

function tooLarge(file: string): LifeboatError {
  return new LifeboatError(
    'INVALID_INPUT',
    `The known_hosts file ${file} is larger than 16 MiB, so Lifeboat did not read it.`,
    'A known_hosts file holds one short line per host: check what wrote so much into it, and trim or move it aside.',
  );
}

// ---- One line ----

const SPACE = 0x20;
const TAB = 0x09;
const isBlank = (c: number): boolean => c === SPACE || c === TAB;

/** The first index at or after `from` where a blank (space or tab) starts or ends, as `want` says. */
function skip(line: string, from: number, want: 'blank' | 'word'): number {
  let i = from;
  while (i < line.length && isBlank(line.charCodeAt(i)) === (want === 'blank')) i++;
  return i;
}

/**
 * The key a line holds for the matcher's host, or null when the line is a comment, is for other
 * hosts, or is malformed in any way OpenSSH would skip it for (hostkeys_foreach_file(), sshkey_read()).
 */
function parseLine(raw: string, matcher: HostMatcher): { marker: KnownHostEntry['marker']; keyType: string; keyBlob: Buffer } | null {
  // OpenSSH sees each line as a C string: a NUL byte ends it.
  const nul = raw.indexOf('\0');
  const line = nul < 0 ? raw : raw.slice(0, nul);
  let i = skip(line, 0, 'blank');
  if (i === line.length || line[i] === '#') return null;
  const marked = readMarker(line, i);
  if (!marked) return null;
  i = marked.next;
  const hostsEnd = skip(line, i, 'word');
  if (!matcher.matchesField(line.slice(i, hostsEnd))) return null;
  const typeStart = skip(line, hostsEnd, 'blank');
  const typeEnd = skip(line, typeStart, 'word');
  if (typeStart === line.length || line[typeStart] === '#' || typeEnd === line.length) return null;
  const blobType = LINE_KEY_TYPE_NAMES.get(line.slice(typeStart, typeEnd));
  const keyStart = skip(line, typeEnd, 'blank');
  if (blobType === undefined || keyStart === line.length) return null;
  const keyBlob = decodeBase64(line.slice(keyStart, skip(line, keyStart, 'word')));
  // The blob must hold a well-formed key of the type the line names (sshkey_read()).
  if (keyBlob === null || parseKeyBlob(keyBlob) !== blobType) return null;
  return { marker: marked.marker, keyType: blobType, keyBlob };
}

/** The optional @cert-authority / @revoked marker, exactly as check_markers() reads it; null if invalid. */
function readMarker(line: string, from: number): { marker: KnownHostEntry['marker']; next: number } | null {
  let marker: KnownHostEntry['marker'] = null;
  let i = from;
  while (line[i] === '@') {
    if (marker !== null) return null; // only one marker per line
    // OpenSSH ends the marker at the line's first space, or failing that its first tab.
    let end = line.indexOf(' ', i);
    if (end < 0) end = line.indexOf('\t', i);
    if (end <= i + 1 || end >= i + 32) return null;
    const word = line.slice(i, end);
    if (word === '@revoked') marker = 'revoked';
    else if (word === '@cert-authority') marker = 'cert-authority';
    else return null;
    i = skip(line, end, 'blank');
  }
  return { marker, next: i };
}

/**
 * Base64 as OpenSSH's b64_pton() accepts it: whitespace anywhere is skipped, padding must be right,
 * and the unused bits of the last character must be zero. Null when it is not valid base64.
 */
function decodeBase64(text: string): Buffer | null {
  const compact = text.replace(/[\t\n\v\f\r ]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  const bytes = Buffer.from(compact, 'base64');
  return bytes.toString('base64') === compact ? bytes : null;
}

// ---- Host fields: hashed names and pattern lists ----

const SHA1_BYTES = 20;
/** "|1|" + base64 of a 20-byte salt + "|" + base64 of a 20-byte HMAC: always this long. */
const HASHED_FIELD_LENGTH = 3 + 28 + 1 + 28;

/** The |1|salt|hmac form of a host name (HashKnownHosts): HMAC-SHA1 of the name keyed by the salt. */
function hashHostName(name: string, salt: Buffer): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name, 'latin1').digest('base64')}`;
}

/**
 * Matches host fields against one host name. Wildcard patterns are matched by a bit-parallel
 * automaton over the positions of the (short) name: each pattern character costs a few word
 * operations whatever the pattern, where OpenSSH's backtracking match_pattern() can take
 * exponential time on a hostile line.
 */
class HostMatcher {
  readonly #name: string;
  /** Bit i of masks[c]: name[i] is c. `#anyChar` has bits 0..n-1, `#full` bits 0..n. */
  readonly #masks = new Map<number, Uint32Array>();
  readonly #anyChar: Uint32Array;
  readonly #full: Uint32Array;
  /** Bit i: the pattern read so far matches the first i characters of the name. */
  readonly #state: Uint32Array;
  /** HMAC-SHA1 blocks: key ^ ipad then the name, key ^ opad then the inner digest. */
  readonly #hmacInner: Buffer;
  readonly #hmacOuter = Buffer.alloc(64 + SHA1_BYTES);

  constructor(name: string) {
    this.#name = name;
    const words = (name.length >>> 5) + 1;
    this.#anyChar = new Uint32Array(words);
    this.#full = new Uint32Array(words);
    this.#state = new Uint32Array(words);
    this.#hmacInner = Buffer.concat([Buffer.alloc(64), Buffer.from(name, 'latin1')]);
    for (let i = 0; i <= name.length; i++) {
      setBit(this.#full, i);
      if (i === name.length) break;
      setBit(this.#anyChar, i);
      const c = name.charCodeAt(i);
      const mask = this.#masks.get(c) ?? new Uint32Array(words);
      setBit(mask, i);
      this.#masks.set(c, mask);
    }
  }

  matchesField(field: string): boolean {
    if (field.startsWith('|')) return this.#matchesHashed(field);
    return this.#matchesPatternList(field);
  }

  /** match_maybe_hashed(): the field must be exactly the hash of the name with the field's salt. */
  #matchesHashed(field: string): boolean {
    if (field.length !== HASHED_FIELD_LENGTH || !field.startsWith('|1|') || field[31] !== '|') return false;
    const salt = decodeBase64(field.slice(3, 31));
    return salt !== null && salt.length === SHA1_BYTES && this.#hmacOfName(salt) === field.slice(32);
  }

  /**
   * Base64 HMAC-SHA1 of the name keyed by `salt`, as hashHostName() computes it, but from two
   * one-shot hashes over reused buffers: a file may hold a quarter of a million hashed lines, and
   * createHmac() costs three times as much per line.
   */
  #hmacOfName(salt: Buffer): string {
    const inner = this.#hmacInner;
    const outer = this.#hmacOuter;
    inner.fill(0x36, 0, 64);
    outer.fill(0x5c, 0, 64);
    for (let i = 0; i < salt.length; i++) {
      inner[i]! ^= salt[i]!;
      outer[i]! ^= salt[i]!;
    }
    hash('sha1', inner, 'buffer').copy(outer, 64);
    return hash('sha1', outer, 'base64');
  }

  /** match_pattern_list(): any positive pattern matches and no negated one does. */
  #matchesPatternList(field: string): boolean {
    let positive = false;
    let i = 0;
    while (i < field.length) {
      const negated = field[i] === '!';
      if (negated) i++;
      let end = field.indexOf(',', i);
      if (end < 0) end = field.length;
      // OpenSSH copies each pattern into a 1024-byte buffer and fails the whole list on a longer one.
      if (end - i >= 1023) return false;
      if (this.#matchesGlob(field, i, end)) {
        if (negated) return false;
        positive = true;
      }
      i = end + 1;
    }
    return positive;
  }

  /** Whether field[start, end) — `*` any run, `?` any one character, ASCII case ignored — matches the whole name. */
  #matchesGlob(pattern: string, start: number, end: number): boolean {
    const state = this.#state;
    state.fill(0);
    state[0] = 1;
    for (let k = start; k < end; k++) {
      const c = pattern.charCodeAt(k);
      if (c === 0x2a /* * */) {
        this.#extendToEnd();
        continue;
      }
      const mask = c === 0x3f /* ? */ ? this.#anyChar : this.#masks.get(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
      if (!mask || !this.#advance(mask)) return false;
    }
    const n = this.#name.length;
    return ((state[n >>> 5]! >>> (n & 31)) & 1) === 1;
  }

  /** After `*`: every position from the first one reached onwards is reached. */
  #extendToEnd(): void {
    const state = this.#state;
    let w = 0;
    while (state[w] === 0) w++; // never empty: #advance stops the match when it would be
    const low = (state[w]! & -state[w]!) >>> 0;
    state[w] = ~(low - 1) & this.#full[w]!;
    for (w++; w < state.length; w++) state[w] = this.#full[w]!;
  }

  /** After a character that `mask` accepts: position i+1 is reached if i was and name[i] fits. False when none is. */
  #advance(mask: Uint32Array): boolean {
    const state = this.#state;
    let carry = 0;
    let any = 0;
    for (let w = 0; w < state.length; w++) {
      const bits = state[w]! & mask[w]!;
      state[w] = ((bits << 1) | carry) >>> 0;
      carry = bits >>> 31;
      any |= state[w]!;
    }
    return any !== 0;
  }
}

function setBit(words: Uint32Array, bit: number): void {
  words[bit >>> 5]! |= 1 << (bit & 31);
}

// ---- Key blobs ----

/**
 * Key type names a known_hosts line may carry, and the blob type each stands for (OpenSSH's
 * keyimpls: the rsa-sha2-* signature names also name an RSA key). Certificate types are left out:
 * the tunnel does not accept host certificates.
 */
const LINE_KEY_TYPE_NAMES = new Map<string, string>([
  ['ssh-ed25519', 'ssh-ed25519'],
  ['sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519@openssh.com'],
  ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256'],
  ['ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384'],
  ['ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp521'],
  ['sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'],
  ['webauthn-sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'],
  ['ssh-rsa', 'ssh-rsa'],
  ['rsa-sha2-256', 'ssh-rsa'],
  ['rsa-sha2-512', 'ssh-rsa'],
  ['ssh-dss', 'ssh-dss'],
]);
const LINE_KEY_TYPES = new Set(LINE_KEY_TYPE_NAMES.values());

/** Reads SSH wire-format fields; null once anything runs past the end. */
class WireReader {
  readonly #buffer: Buffer;
  #offset = 0;

  constructor(buffer: Buffer) {
    this.#buffer = buffer;
  }

  get atEnd(): boolean {
    return this.#offset === this.#buffer.length;
  }

  string(): Buffer | null {
    if (this.#buffer.length - this.#offset < 4) return null;
    const length = this.#buffer.readUInt32BE(this.#offset);
    if (length > this.#buffer.length - this.#offset - 4) return null;
    this.#offset += 4 + length;
    return this.#buffer.subarray(this.#offset - length, this.#offset);
  }

  /** A non-negative mpint of at most 16384 bits (sshbuf_get_bignum2()), as its bit length; -1 if invalid. */
  mpintBits(): number {
    let bytes = this.string();
    if (bytes === null || (bytes.length > 0 && bytes[0]! & 0x80) || bytes.length > 2049 || (bytes.length === 2049 && bytes[0] !== 0)) return -1;
    let first = 0;
    while (first < bytes.length && bytes[first] === 0) first++;
    bytes = bytes.subarray(first);
    return bytes.length === 0 ? 0 : (bytes.length - 1) * 8 + (32 - Math.clz32(bytes[0]!));
  }
}

const CURVES: Record<string, { name: string; bytes: number }> = {
  nistp256: { name: 'prime256v1', bytes: 32 },
  nistp384: { name: 'secp384r1', bytes: 48 },
  nistp521: { name: 'secp521r1', bytes: 66 },
};

/** An uncompressed point on the curve (sshbuf_get_eckey(): OpenSSH refuses any other). */
function isCurvePoint(point: Buffer | null, curve: string): boolean {
  const spec = CURVES[curve];
  if (!spec || point === null || point.length !== 1 + 2 * spec.bytes || point[0] !== 0x04) return false;
  try {
    ECDH.convertKey(point, spec.name, undefined, undefined, 'uncompressed');
    return true;
  } catch {
    return false;
  }
}

const ecdsaBody = (curve: string, sk: boolean) => (r: WireReader): boolean => r.string()?.toString('latin1') === curve && isCurvePoint(r.string(), curve) && (!sk || r.string() !== null);

/** What follows the type name in each key type's blob; the blob must end right after it. */
const KEY_BODIES = new Map<string, (r: WireReader) => boolean>([
  ['ssh-ed25519', (r) => r.string()?.length === 32],
  ['sk-ssh-ed25519@openssh.com', (r) => r.string()?.length === 32 && r.string() !== null],
  ['ecdsa-sha2-nistp256', ecdsaBody('nistp256', false)],
  ['ecdsa-sha2-nistp384', ecdsaBody('nistp384', false)],
  ['ecdsa-sha2-nistp521', ecdsaBody('nistp521', false)],
  ['sk-ecdsa-sha2-nistp256@openssh.com', ecdsaBody('nistp256', true)],
  // e, then n of 1024 bits at least: OpenSSH refuses shorter RSA keys outright.
  [
    'ssh-rsa',
    (r) => {
      const e = r.mpintBits();
      const n = r.mpintBits();
      return e >= 0 && n >= 1024;
    },
  ],
  ['ssh-dss', (r) => [r.mpintBits(), r.mpintBits(), r.mpintBits(), r.mpintBits()].every((bits) => bits >= 0)],
]);

/** The blob's key type name, or null when the blob is malformed (or a known type's body is). */
function parseKeyBlob(blob: Buffer): string | null {
  const reader = new WireReader(blob);
  const name = reader.string()?.toString('latin1');
  if (name === undefined || !/^[\x21-\x7e]{1,64}$/.test(name)) return null;
  const body = KEY_BODIES.get(name);
  if (body && !(body(reader) && reader.atEnd)) return null;
  return name;
}
