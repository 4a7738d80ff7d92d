// A profile's database scope: checked as hostile input when it is saved, resolved against the
// server's list of databases at each run.
import { LifeboatError } from '../errors.ts';
import type { DatabaseScope } from '../model/server-run.ts';

const MAX_NAMES = 1000;
const MAX_PATTERNS = 100;
/** PostgreSQL truncates identifiers at 63 bytes (NAMEDATALEN - 1). */
const MAX_NAME_BYTES = 63;
export const MAINTENANCE_DATABASE = 'postgres';

/** A database as the server lists it. */
export interface ServerDatabase {
  name: string;
  isTemplate: boolean;
  /** Bytes on disk; null when this user may not connect to it. */
  bytes: number | null;
}

export interface ResolvedScope {
  /** To back up, largest first (the longest dumps start first, so the run ends sooner). */
  databases: ServerDatabase[];
  /** Named by a list but not on the server. */
  missing: string[];
  excluded: string[];
}

/** Checks and normalises a scope as a user typed it; every problem names the fix. */
export function normaliseScope(input: unknown): DatabaseScope {
  const scope = input as Partial<DatabaseScope> | null;
  if (scope?.kind === 'list') {
    const names = uniqueNames(scope.databases, 'database');
    if (names.length === 0) throw invalid('The list of databases is empty.', 'Name at least one database, or back up all databases of the server.');
    return { kind: 'list', databases: names };
  }
  if (scope?.kind === 'all') {
    const exclude = uniqueNames(scope.exclude ?? [], 'pattern');
    return { kind: 'all', exclude, includeMaintenance: scope.includeMaintenance === true, includeTemplates: scope.includeTemplates === true };
  }
  throw invalid('The database scope is neither a list of databases nor all databases.', 'Choose one database, a list, or all databases of the server.');
}

function uniqueNames(values: unknown, what: 'database' | 'pattern'): string[] {
  if (!Array.isArray(values)) throw invalid(`The ${what} list is not a list.`, 'Give the names separated by commas.');
  const limit = what === 'database' ? MAX_NAMES : MAX_PATTERNS;
  if (values.length > limit) throw invalid(`More than ${limit} ${what}s are listed.`, what === 'database' ? 'Back up all databases with exclude patterns instead.' : 'Combine patterns with * and ?.');
  const names: string[] = [];
  for (const value of values) {
    const name = typeof value === 'string' ? value.trim() : '';
    if (!name) throw invalid(`An empty ${what} name is listed.`, 'Remove the empty entry.');
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\u0000-\u001f\u007f]/.test(name)) throw invalid(`The ${what} "${JSON.stringify(name).slice(1, -1)}" contains a control character.`, 'Type the name without control characters.');
    if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw invalid(`The ${what} "${name.slice(0, 40)}…" is longer than PostgreSQL's ${MAX_NAME_BYTES} bytes.`, 'Use the name as PostgreSQL shows it (\\l in psql).');
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Which of the server's databases the scope takes now. template0 (no connections) is never listed here. */
export function resolveScope(scope: DatabaseScope, onServer: ServerDatabase[]): ResolvedScope {
  const bySize = (a: ServerDatabase, b: ServerDatabase) => (b.bytes ?? 0) - (a.bytes ?? 0) || a.name.localeCompare(b.name);
  if (scope.kind === 'list') {
    const present = new Map(onServer.map((d) => [d.name, d]));
    return {
      databases: scope.databases.flatMap((name) => present.get(name) ?? []).sort(bySize),
      missing: scope.databases.filter((name) => !present.has(name)),
      excluded: [],
    };
  }
  const patterns = scope.exclude.map(patternToRegExp);
  const excluded: string[] = [];
  const databases = onServer.filter((d) => {
    const skip = (d.name === MAINTENANCE_DATABASE && !scope.includeMaintenance) || (d.isTemplate && !scope.includeTemplates) || patterns.some((p) => p.test(d.name));
    if (skip) excluded.push(d.name);
    return !skip;
  });
  return { databases: databases.sort(bySize), missing: [], excluded: excluded.sort() };
}

/** `*` any run of characters, `?` one; everything else literal (a name may hold regex characters). */
export function patternToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'u');
}

/** "all databases except a*, b", "shop, crm" — for lists and the CLI. */
export function describeScope(scope: DatabaseScope): string {
  if (scope.kind === 'list') return scope.databases.join(', ');
  const extras = [scope.includeMaintenance ? 'with postgres' : '', scope.includeTemplates ? 'with templates' : ''].filter(Boolean);
  return `all databases${scope.exclude.length ? ` except ${scope.exclude.join(', ')}` : ''}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

function invalid(message: string, fix: string): LifeboatError {
  return new LifeboatError('INVALID_INPUT', message, fix);
}
