// Run records (`<profile>_server_<stamp>.lifeboat-run.json`) sit beside their archives, in folders
// others may write to: like sidecars they are tagged with the library key (an HMAC over the whole
// record), read with a size bound without following links, and only a record whose tag verifies
// is taken for this Lifeboat's (a stranger's record could otherwise claim databases were dropped).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { safeFilePart, utcStamp } from '../archive/archive-names.ts';
import { readBoundedFile } from '../archive/sidecar-file.ts';
import { fsyncDirectory, writeFileUnderFreeName } from '../files/durable-files.ts';
import type { ServerRunRecord } from '../model/server-run.ts';

export const RUN_RECORD_EXTENSION = '.lifeboat-run.json';
const TAG_INFO = 'lifeboat run record tag v1\0';
/** Records looked at per folder when finding the previous run: a folder of strangers' files is not read without end. */
const MAX_RECORDS_READ = 500;

/** The record's name before its extension; a second run started in the same second gets `-2` after it. */
export function runRecordStem(profile: string, startedAt: Date): string {
  return `${safeFilePart(profile)}_server_${utcStamp(startedAt)}`;
}

function mac(key: Buffer, fields: Omit<ServerRunRecord, 'libraryTag'>): string {
  return createHmac('sha256', key).update(TAG_INFO).update(JSON.stringify(fields)).digest('hex');
}

/** Writes the record (tagged when there is a key) durably under the first free name; returns what was written where. */
export async function writeRunRecord(folder: string, record: ServerRunRecord, key: Buffer | null): Promise<{ file: string; record: ServerRunRecord }> {
  const { libraryTag: _old, ...fields } = record;
  const written: ServerRunRecord = key ? { ...fields, libraryTag: mac(key, fields) } : fields;
  const stem = path.join(folder, runRecordStem(record.profile, new Date(record.startedAt)));
  const file = await writeFileUnderFreeName(stem, RUN_RECORD_EXTENSION, `${JSON.stringify(written, null, 2)}\n`);
  await fsyncDirectory(folder);
  return { file, record: written };
}

export function runRecordTagVerifies(record: ServerRunRecord, key: Buffer | null): boolean {
  if (!key || typeof record.libraryTag !== 'string' || !/^[0-9a-f]{64}$/.test(record.libraryTag)) return false;
  const { libraryTag, ...fields } = record;
  return timingSafeEqual(Buffer.from(mac(key, fields), 'hex'), Buffer.from(libraryTag, 'hex'));
}

/** A record read from disk, or null when it is not one this Lifeboat wrote (bad JSON, wrong shape, tag that does not verify). */
export async function readRunRecord(file: string, key: Buffer | null): Promise<ServerRunRecord | null> {
  try {
    const bytes = await readBoundedFile(file);
    if (!bytes) return null;
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as ServerRunRecord;
    if (typeof value !== 'object' || value === null || value.format !== 'lifeboat-run' || value.version !== 1) return null;
    if (!runRecordTagVerifies(value, key)) return null;
    return Array.isArray(value.databases) && typeof value.profileId === 'string' && typeof value.startedAt === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** The recognised runs in `folders`, newest first, each with its file (at most MAX_RECORDS_READ per folder). */
export async function listRunRecords(folders: string[], key: Buffer | null): Promise<{ file: string; record: ServerRunRecord }[]> {
  const found: { file: string; record: ServerRunRecord }[] = [];
  for (const folder of folders) {
    const names = (await readdir(folder).catch(() => [] as string[])).filter((n) => n.endsWith(RUN_RECORD_EXTENSION)).sort().reverse().slice(0, MAX_RECORDS_READ);
    for (const name of names) {
      const file = path.join(folder, name);
      const record = await readRunRecord(file, key);
      if (record) found.push({ file, record });
    }
  }
  return found.sort((a, b) => b.record.startedAt.localeCompare(a.record.startedAt));
}

/** The newest recognised run of a profile in `folder`, or null. */
export async function latestRunRecord(folder: string, profileId: string, key: Buffer | null): Promise<ServerRunRecord | null> {
  const names = (await readdir(folder).catch(() => [] as string[])).filter((n) => n.endsWith(RUN_RECORD_EXTENSION)).sort().reverse().slice(0, MAX_RECORDS_READ);
  let latest: ServerRunRecord | null = null;
  for (const name of names) {
    const record = await readRunRecord(path.join(folder, name), key);
    if (record?.profileId === profileId && (!latest || record.startedAt > latest.startedAt)) latest = record;
  }
  return latest;
}
