// Database names a restore chooses: the target's, and the ones it derives from it ("_restoring_…",
// "_before_restore_…"), within PostgreSQL's 63-byte limit.
import { LifeboatError } from '../errors.ts';
import { truncateUtf8 } from '../name-text.ts';

const MAX_NAME = 63;

export function validateName(database: string): void {
  if (!database || Buffer.byteLength(database) > MAX_NAME || database.includes('\0')) {
    throw new LifeboatError('INVALID_INPUT', `"${database}" is not a valid database name (1–63 bytes).`, 'Choose a shorter name.');
  }
}

/**
 * name + suffix, shortening the name so the result fits PostgreSQL's 63-byte limit. Cut between
 * whole characters (grapheme clusters): a cut inside a surrogate pair would send invalid UTF-16,
 * which becomes U+FFFD on the wire, and a cut inside a UTF-8 sequence is refused by the server.
 */
export function derivedName(name: string, suffix: string): string {
  return truncateUtf8(name, MAX_NAME - Buffer.byteLength(suffix)) + suffix;
}
