import { ARCHIVE_EXTENSION } from './archive-format.ts';

/** Keeps file names portable: letters, digits, dot, dash and underscore. */
export function safeFilePart(text: string): string {
  return text.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'db';
}

/** 2026-11-22T01:15:30.123Z → 20261122T011530Z */
export function utcStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export function archiveFileName(profile: string, database: string, startedAt: Date): string {
  return `${safeFilePart(profile)}_${safeFilePart(database)}_${utcStamp(startedAt)}${ARCHIVE_EXTENSION}`;
}
