// Sidecars (X.lifeboat.json) sit in backup folders that other people and programs can write to: each
// one is read with a size bound, without following links or blocking on a FIFO, and checked field by
// field. A bad one is that archive's problem, never the whole folder's (ARCHITECTURE §6a).
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveSidecar, EncryptionKind, VerificationRecord } from './archive-format.ts';
import { parseFileTag } from './archive-authenticity.ts';

/** Real sidecars are a few kB (recipients and a verification message at most): 1 MiB is generous. */
export const MAX_SIDECAR_BYTES = 1024 * 1024;
const MAX_TEXT = 4096;
const MAX_MESSAGE = 64 * 1024;
const MAX_RECIPIENTS = 1000;
const ENCRYPTION_KINDS: readonly EncryptionKind[] = ['x25519', 'passphrase', 'none'];

export type SidecarRead = { kind: 'missing' } | { kind: 'ok'; sidecar: ArchiveSidecar } | { kind: 'bad'; problem: string };

/** Reads and checks one sidecar. Never throws: a sidecar that cannot be used is described instead. */
export async function readSidecarFile(file: string): Promise<SidecarRead> {
  const name = path.basename(file);
  let bytes: Buffer;
  try {
    const read = await readBoundedFile(file);
    if (read === null) return { kind: 'missing' };
    bytes = read;
  } catch (error) {
    return { kind: 'bad', problem: `The sidecar ${name} ${(error as Error).message}.` };
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    const why = error instanceof TypeError ? 'is not UTF-8 text' : `is not valid JSON (${(error as Error).message})`;
    return { kind: 'bad', problem: `The sidecar ${name} ${why}.` };
  }
  try {
    return { kind: 'ok', sidecar: parseSidecar(value) };
  } catch (error) {
    return { kind: 'bad', problem: `The sidecar ${name} is not valid: ${(error as Error).message}.` };
  }
}

/** The file's bytes (at most MAX_SIDECAR_BYTES), or null when it does not exist; errors say what is wrong with it, as a predicate. */
export async function readBoundedFile(file: string): Promise<Buffer | null> {
  // O_NOFOLLOW: a link could point anywhere (/dev/zero, another user's file). O_NONBLOCK: opening a
  // FIFO for reading would otherwise wait for a writer forever.
  const handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw new Error(error.code === 'ELOOP' ? 'is a symbolic link' : `cannot be opened (${error.code ?? error.message})`);
  });
  if (!handle) return null;
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error('is not a regular file');
    if (info.size > MAX_SIDECAR_BYTES) throw new Error(`is ${info.size} bytes, more than a sidecar can be (${MAX_SIDECAR_BYTES})`);
    // Read at most one byte past the limit: the file may grow after the stat.
    const buffer = Buffer.alloc(Math.min(info.size, MAX_SIDECAR_BYTES) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    if (length > MAX_SIDECAR_BYTES) throw new Error(`is more than ${MAX_SIDECAR_BYTES} bytes`);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

type Fields = Record<string, unknown>;

function object(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} is not an object`);
  return value as Fields;
}

function text(o: Fields, key: string, max = MAX_TEXT): string {
  const value = o[key];
  if (typeof value !== 'string') throw new Error(`"${key}" is not text`);
  if (value.length > max) throw new Error(`"${key}" is longer than ${max} characters`);
  return value;
}

function count(o: Fields, key: string): number {
  const value = o[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new Error(`"${key}" is not a whole number of 0 or more`);
  return value;
}

function flag(o: Fields, key: string): boolean {
  if (typeof o[key] !== 'boolean') throw new Error(`"${key}" is not true or false`);
  return o[key] as boolean;
}

function time(o: Fields, key: string): string {
  const value = text(o, key, 64);
  if (Number.isNaN(Date.parse(value))) throw new Error(`"${key}" is not a date and time`);
  return value;
}

/** An ArchiveSidecar made only of checked fields (unknown extra fields are dropped). */
export function parseSidecar(value: unknown): ArchiveSidecar {
  const o = object(value, 'its content');
  if (o.sidecarVersion !== 1) throw new Error(typeof o.sidecarVersion === 'number' && o.sidecarVersion > 1 ? `it was written by a newer Lifeboat (sidecar version ${o.sidecarVersion})` : '"sidecarVersion" is not 1');
  const port = count(o, 'port');
  if (port > 65535) throw new Error('"port" is not a port number');
  const sha256 = text(o, 'sha256', 64);
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('"sha256" is not 64 hexadecimal digits');
  const sidecar: ArchiveSidecar = {
    sidecarVersion: 1,
    archive: text(o, 'archive'), formatVersion: count(o, 'formatVersion'), profile: text(o, 'profile'), host: text(o, 'host'), port, database: text(o, 'database'),
    serverVersion: text(o, 'serverVersion'), pgDumpVersion: text(o, 'pgDumpVersion'), createdAt: time(o, 'createdAt'), finishedAt: time(o, 'finishedAt'),
    durationMs: count(o, 'durationMs'), bytes: count(o, 'bytes'), sha256, encryption: encryption(o.encryption), compression: text(o, 'compression'),
    tables: count(o, 'tables'), totalRows: o.totalRows === null ? null : count(o, 'totalRows'), rowCountsExact: flag(o, 'rowCountsExact'), dumpBytes: count(o, 'dumpBytes'),
  };
  if (o.verification !== undefined) sidecar.verification = verification(o.verification);
  if (o.drill !== undefined) {
    const drill = object(o.drill, '"drill"');
    sidecar.drill = { at: time(drill, 'at'), passed: flag(drill, 'passed'), recoveryMs: count(drill, 'recoveryMs') };
  }
  if (o.partial !== undefined) sidecar.partial = flag(o, 'partial');
  if (o.libraryTag !== undefined) {
    const tag = text(o, 'libraryTag', 64);
    if (!/^[0-9a-f]{64}$/.test(tag)) throw new Error('"libraryTag" is not 64 hexadecimal digits');
    sidecar.libraryTag = tag;
  }
  // Self-authenticating and optional: one this version does not know (or a broken one) is left out,
  // and the archive is then checked by reading it whole, never refused for it.
  const fileTag = o.fileTag === undefined ? null : parseFileTag(o.fileTag);
  if (fileTag) sidecar.fileTag = fileTag;
  return sidecar;
}

function encryption(value: unknown): ArchiveSidecar['encryption'] {
  const o = object(value, '"encryption"');
  const kind = o.kind as EncryptionKind;
  if (!ENCRYPTION_KINDS.includes(kind)) throw new Error('"encryption.kind" is not x25519, passphrase or none');
  if (!Array.isArray(o.recipients) || o.recipients.length > MAX_RECIPIENTS) throw new Error(`"encryption.recipients" is not a list of at most ${MAX_RECIPIENTS}`);
  if (!o.recipients.every((r): r is string => typeof r === 'string' && r.length <= MAX_TEXT)) throw new Error('"encryption.recipients" holds something other than short text');
  return { kind, recipients: [...o.recipients] };
}

function verification(value: unknown): VerificationRecord {
  const o = object(value, '"verification"');
  if (o.level !== 'quick' && o.level !== 'full') throw new Error('"verification.level" is not quick or full');
  return { at: time(o, 'at'), level: o.level, ok: flag(o, 'ok'), message: text(o, 'message', MAX_MESSAGE) };
}
