// Scans SQL text the way psql reads it, line by line, and refuses psql meta-commands other than
// the ones pg_dump writes itself: \connect, \restrict, \unrestrict (and the \. that ends COPY data).
// Anything else — \! (shell), \o / \w (write files), \copy … program, \i (include), \set … — could
// run commands or touch files on this computer, so it is blocked before psql sees the file.
import { LifeboatError } from '../errors.ts';

export const ALLOWED_META_COMMANDS = ['connect', 'restrict', 'unrestrict'] as const;

export interface MetaCommand {
  line: number;
  command: string;
  text: string;
}

type State = 'normal' | 'single' | 'escape-single' | 'double' | 'dollar' | 'block-comment' | 'copy-data';

/** Facts learned while scanning, used by the preflight and to choose how to run psql. */
export interface SqlFacts {
  lines: number;
  connects: string[];
  createsDatabase: boolean;
  /** Statements that cannot run inside a transaction block. */
  needsAutocommit: string[];
  owners: Set<string>;
  grantees: Set<string>;
  extensions: Set<string>;
  dumpedFromVersion: string | null;
  tables: string[];
}

/** Incremental scanner: feed lines in order; throws a LifeboatError at the first forbidden meta-command. */
export class SqlGuard {
  readonly facts: SqlFacts = { lines: 0, connects: [], createsDatabase: false, needsAutocommit: [], owners: new Set(), grantees: new Set(), extensions: new Set(), dumpedFromVersion: null, tables: [] };
  #state: State = 'normal';
  #dollarTag = '';
  #commentDepth = 0;
  #statement = '';
  /** The statement with the contents of strings, quoted names and dollar bodies left out. */
  #bare = '';
  readonly #allowConnect: boolean;

  /** allowConnect: false when Lifeboat chooses the database, so a script may not switch to another. */
  constructor(options: { allowConnect?: boolean } = {}) {
    this.#allowConnect = options.allowConnect ?? true;
  }

  /** Checks one line (without its newline), in file order. */
  line(text: string): void {
    const lineNo = ++this.facts.lines;
    if (this.#state === 'copy-data') {
      if (text === '\\.') this.#state = 'normal';
      return;
    }
    if (lineNo < 40 && this.facts.dumpedFromVersion === null) {
      const match = /^-- Dumped from database version (\S+)/.exec(text);
      if (match) this.facts.dumpedFromVersion = match[1]!;
    }
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      const next = text[i + 1];
      switch (this.#state) {
        case 'normal':
          if (char === '-' && next === '-') {
            i = text.length; // rest of the line is a comment
          } else if (char === '/' && next === '*') {
            this.#state = 'block-comment';
            this.#commentDepth = 1;
            i++;
          } else if (char === "'") {
            const prev = text[i - 1];
            this.#state = prev === 'E' || prev === 'e' ? 'escape-single' : 'single';
            this.#statement += char;
            this.#bare += char;
          } else if (char === '"') {
            this.#state = 'double';
            this.#statement += char;
            this.#bare += char;
          } else if (char === '$') {
            const tag = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i));
            if (tag && !/[\w$]/.test(text[i - 1] ?? ' ')) {
              this.#state = 'dollar';
              this.#dollarTag = tag[0];
              this.#statement += tag[0];
              this.#bare += tag[0];
              i += tag[0].length - 1;
            } else {
              this.#statement += char;
              this.#bare += char;
            }
          } else if (char === '\\') {
            this.#metaCommand(text.slice(i), lineNo);
            i = text.length;
          } else if (char === ';') {
            this.#endStatement(lineNo);
          } else {
            this.#statement += char;
            this.#bare += char;
          }
          break;
        case 'single':
          this.#statement += char;
          if (char === "'") {
            this.#state = 'normal'; // '' re-enters and leaves again: same effect
            this.#bare += char;
          }
          break;
        case 'escape-single':
          this.#statement += char;
          if (char === '\\') {
            this.#statement += next ?? '';
            i++;
          } else if (char === "'") {
            this.#state = 'normal';
            this.#bare += char;
          }
          break;
        case 'double':
          this.#statement += char;
          if (char === '"') {
            this.#state = 'normal';
            this.#bare += char;
          }
          break;
        case 'dollar':
          if (text.startsWith(this.#dollarTag, i)) {
            this.#statement += this.#dollarTag;
            this.#bare += this.#dollarTag;
            i += this.#dollarTag.length - 1;
            this.#state = 'normal';
          }
          break;
        case 'block-comment':
          if (char === '/' && next === '*') {
            this.#commentDepth++;
            i++;
          } else if (char === '*' && next === '/') {
            this.#commentDepth--;
            i++;
            if (this.#commentDepth === 0) this.#state = 'normal';
          }
          break;
      }
    }
    if (this.#state === 'normal' || this.#state === 'single' || this.#state === 'escape-single' || this.#state === 'double') this.#statement += ' ';
    if (this.#state === 'normal') this.#bare += ' ';
  }

  /** Inside COPY data only the terminator matters, so callers may skip decoding those lines. */
  get inCopyData(): boolean {
    return this.#state === 'copy-data';
  }

  #metaCommand(rest: string, line: number): void {
    const match = /^\\([A-Za-z]+|[!?.]|\\)/.exec(rest);
    const command = match?.[1] ?? rest.slice(1, 2);
    if (command === 'connect' && !this.#allowConnect) {
      throw new LifeboatError('INVALID_INPUT', `Line ${line} of the SQL script switches to another database (${rest.slice(0, 80)}).`, 'Lifeboat restores into the database you choose: use a dump made without -C (and not by pg_dumpall), or remove the \\connect lines.');
    }
    if ((ALLOWED_META_COMMANDS as readonly string[]).includes(command)) {
      if (command === 'connect') this.facts.connects.push(rest.replace(/^\\connect\s+/, '').trim());
      return;
    }
    const shown = rest.length > 80 ? `${rest.slice(0, 80)}…` : rest;
    throw new LifeboatError(
      'INVALID_INPUT',
      `Line ${line} of the SQL file runs the psql command "\\${command}" (${shown}). Lifeboat refuses it: psql meta-commands can run programs or read and write files on this computer, and pg_dump never writes "\\${command}".`,
      'Remove that line if you trust the rest of the file, or restore a dump made by pg_dump.',
    );
  }

  #endStatement(line: number): void {
    const sql = this.#statement.trim().replace(/\s+/g, ' ');
    const bare = this.#bare.trim().replace(/\s+/g, ' ');
    this.#statement = '';
    this.#bare = '';
    if (!sql) return;
    const upper = sql.toUpperCase();
    // psql's lexer treats backslashes in strings by this setting; pg_dump always writes "on".
    if (/standard_conforming_strings/i.test(sql) && !/^SET standard_conforming_strings\s*(=|TO)\s*'?on'?$/i.test(sql)) {
      throw new LifeboatError('INVALID_INPUT', `Line ${line} of the SQL file changes standard_conforming_strings, which changes how psql reads backslashes; Lifeboat refuses it.`, 'pg_dump always writes "SET standard_conforming_strings = on": use a dump made by pg_dump.');
    }
    // COPY data follows only "COPY table [(columns)] FROM STDIN" — judged without string contents.
    if (/^COPY\s+(?!\()[^()]*?(\([^()]*\)\s*)?FROM\s+STDIN\b/i.test(bare)) {
      this.#state = 'copy-data';
      const table = /^COPY\s+(\S+)/i.exec(sql)?.[1];
      if (table) this.facts.tables.push(table);
    }
    if (/^CREATE\s+DATABASE\b/.test(upper)) this.facts.createsDatabase = true;
    if (/^(CREATE\s+DATABASE|DROP\s+DATABASE|VACUUM|ALTER\s+SYSTEM|CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|REINDEX\b.*\bCONCURRENTLY|CREATE\s+TABLESPACE|DROP\s+TABLESPACE)\b/.test(upper)) {
      this.facts.needsAutocommit.push(sql.slice(0, 60));
    }
    const owner = /\bOWNER TO\s+("(?:[^"]|"")+"|[\w$]+)/i.exec(sql);
    if (owner) this.facts.owners.add(unquote(owner[1]!));
    const grant = /^GRANT\b.*\bTO\s+(.+)$/i.exec(sql);
    if (grant) for (const role of grant[1]!.split(',')) {
      const name = unquote(role.trim().replace(/\s+WITH\s+.*$/i, '').replace(/^GROUP\s+/i, ''));
      if (name && name.toUpperCase() !== 'PUBLIC') this.facts.grantees.add(name);
    }
    const extension = /^CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[\w$]+)/i.exec(sql);
    if (extension) this.facts.extensions.add(unquote(extension[1]!));
  }

  /** Call at the end: an unterminated COPY block or string means the file is cut short. */
  finish(): void {
    if (this.#state === 'copy-data') throw new LifeboatError('ARCHIVE_DAMAGED', 'The SQL file ends inside COPY data (it is cut short).', 'Use a complete copy of the file.');
  }
}

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase();
}
