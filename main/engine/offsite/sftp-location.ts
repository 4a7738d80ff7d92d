// An SFTP destination's location as the user typed it (CLI flags, the app's form, an IPC payload —
// all hostile): its SSH route checked exactly as a profile's tunnel is, its folder an absolute path
// without "." or ".." parts or control characters. And the route and names the rest of the engine
// uses for it, without loading ssh2.
import { LifeboatError } from '../errors.ts';
import type { SftpLocation } from '../model/offsite.ts';
import type { SshSettings } from '../model/profile.ts';
import { normaliseSsh } from '../profiles/profile-validation.ts';

const MAX_FOLDER_LENGTH = 1024;

export function normaliseSftpLocation(input: SftpLocation): SftpLocation {
  if (typeof input !== 'object' || input === null) throw invalid('The SFTP destination needs a host, a user and a folder.', 'Enter them as sftp://USER@HOST[:PORT]/FOLDER.');
  return { ...normaliseSsh(input), folder: checkFolder(input.folder) };
}

/** An absolute folder, "/" or without a trailing slash; repeated slashes collapsed. */
function checkFolder(value: unknown): string {
  const refuse = () => invalid(`"${String(value).slice(0, 80)}" is not a usable folder on the SSH host.`, 'Enter an absolute path such as /srv/backups/lifeboat: no "." or ".." parts, no backslashes or control characters, at most 1024 characters.');
  if (typeof value !== 'string' || !value.startsWith('/') || value.length > MAX_FOLDER_LENGTH) throw refuse();
  const segments = value.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..' || /[\p{Cc}\\]/u.test(s))) throw refuse();
  return `/${segments.join('/')}`;
}

function invalid(message: string, fix: string): LifeboatError {
  return new LifeboatError('INVALID_INPUT', message, fix);
}

/** The SSH route of the location (the folder is no part of a hop). */
export function sftpRoute(location: SftpLocation): SshSettings {
  const { folder: _folder, ...route } = location;
  return route;
}

/** Whose route a keychain account belongs to: the destination's (each hop bound as a profile's are). */
export function sftpRouteOwner(destinationId: string): string {
  return `sftp:${destinationId}`;
}

/** Where the user sets an SFTP destination's logins up, for the fixes of login errors. */
export function sftpSettings(destinationName: string): string {
  return `the destination's SSH login (lifeboat destination remove ${destinationName}, then add it again)`;
}

/** "sftp://user@host:22/folder via user@jump:22": for lists and messages. */
export function describeSftp(location: SftpLocation): string {
  const host = (name: string) => (name.includes(':') ? `[${name}]` : name);
  const via = location.jumps.length ? ` via ${location.jumps.map((j) => `${j.user}@${host(j.host)}:${j.port}`).join(' → ')}` : '';
  return `sftp://${location.user}@${host(location.host)}:${location.port}${location.folder}${via}`;
}

/** The path of a file directly in the folder. Names come from Lifeboat or a listing: never a path. */
export function remotePath(location: SftpLocation, name: string): string {
  if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name)) throw new LifeboatError('INVALID_INPUT', `"${name.slice(0, 80)}" is not a file name.`, 'Report this: names in a destination are file names.');
  return location.folder === '/' ? `/${name}` : `${location.folder}/${name}`;
}
