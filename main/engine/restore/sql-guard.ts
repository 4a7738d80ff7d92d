// The second layer against psql meta-commands in a dropped SQL file (the first is psql's own
// \restrict, see sql-pipeline.ts). It reads every line the way psql's lexer does (psql-lexer.ts)
// and refuses meta-commands other than the ones pg_dump writes itself (\connect, \restrict,
// \unrestrict) — and, wherever its reading and psql's could differ, refuses instead of guessing:
// NUL bytes (psql's line reader stops at them), a quote after an odd run of backslashes (its
// meaning depends on standard_conforming_strings, which SQL can change unseen), lines that lex
// differently in any client-only multibyte encoding (which SQL can switch to), psql variables,
// and text after COPY … FROM stdin on the same line.
import { formatBytes } from '../format-bytes.ts';
import { LifeboatError } from '../errors.ts';
import { visibleText } from '../name-text.ts';
import { REACHING_FUNCTIONS, unsafeReason } from './unsafe-statements.ts';
import { TRUST_FIX } from './trust-phrase.ts';
import { granteesOf, roleStatement } from './ownership-statements.ts';
import { encodingViews, initialLexState, lexLine, sameLexState, type LexEvent, type LexSink, type LexState } from './psql-lexer.ts';
import type { SqlFacts } from '../model/restore.ts';
export type { SqlFacts } from '../model/restore.ts';

export const ALLOWED_META_COMMANDS = ['connect', 'restrict', 'unrestrict'] as const;

/** Longest line of SQL (outside COPY data, which streams) the guard reads; pg_dump's longest are single statements. */
export const MAX_SQL_LINE_BYTES = 64 * 1024 * 1024;
/** Longest statement (all its lines) the guard reads; function bodies and views stay far below. */
export const MAX_STATEMENT_BYTES = 32 * 1024 * 1024;
/** Most lines one statement may span (pg_dump's multi-row INSERTs put a row on each line). */
export const MAX_STATEMENT_LINES = 1_000_000;
/** How much of one statement is kept to learn facts from (owners, grants, COPY targets); the rest is still checked. */
const MAX_KEPT_STATEMENT = 1024 * 1024;

export interface MetaCommand {
  line: number;
  command: string;
  text: string;
}

const MAX_LISTED_UNSAFE = 50;
/** Statements worth reading closely for unsafeReason (everything else cannot be unsafe). */
const MAYBE_UNSAFE = new RegExp(`^(ALTER|CREATE|DROP|COPY|LOAD|DO|SET|RESET|GRANT|REVOKE)\\b|${[...REACHING_FUNCTIONS].join('|')}`, 'i');

export interface EndedStatement {
  sql: string;
  complete: boolean;
}

/** What the caller does with a line it fed: pass it on to psql, or replace it by an empty line (\restrict lines). */
export type LineVerdict = 'pass' | 'blank';

const refuse = (message: string, fix: string) => new LifeboatError('INVALID_INPUT', message, fix);
const nulByte = (where: string) => refuse(`${where} contains a NUL byte. psql stops reading a line at a NUL byte, so it would read this file differently from Lifeboat's check.`, 'SQL files written by pg_dump never contain NUL bytes: the file is damaged or was made to deceive. Use the original dump.');
const FROM_PG_DUMP = 'Restore a dump made by pg_dump, or remove that line if you trust the rest of the file.';

/** Incremental scanner: feed lines in order; throws a LifeboatError at the first line it refuses. */
export class SqlGuard {
  readonly facts: SqlFacts = { lines: 0, connects: [], createsDatabase: false, needsAutocommit: [], owners: new Set(), grantees: new Set(), extensions: new Set(), dumpedFromVersion: null, tables: [], unsafe: [], unsafeCount: 0 };
  #state: LexState = initialLexState();
  #copyData = false;
  /** The statement's text (without comments), up to MAX_KEPT_STATEMENT, for facts. */
  #statement = '';
  #ended: EndedStatement[] = [];
  #truncated = false;
  /** Whether the statement has text yet, and how many bytes of lines it spans so far. */
  #statementHasText = false;
  #statementBytes = 0;
  #statementLines = 0;
  #tablesSeen = new Set<string>();
  readonly #allowConnect: boolean;
  readonly #refuseUnsafe: boolean;
  readonly #archive: boolean;
  /** In pg_restore's output: the TOC entry being printed, from its "-- Name: …; Type: …; Schema: …" comment. */
  #entry: string | null = null;

  /**
   * allowConnect: false when Lifeboat chooses the database, so a script may not switch to another.
   * refuseUnsafe: a statement that reaches beyond the database (unsafe-statements.ts) stops the scan
   * before it reaches psql — a restore nobody chose to trust; otherwise such statements are listed.
   */
  constructor(options: { allowConnect?: boolean; refuseUnsafe?: boolean; archive?: boolean } = {}) {
    this.#allowConnect = options.allowConnect ?? true;
    this.#refuseUnsafe = options.refuseUnsafe ?? false;
    this.#archive = options.archive ?? false;
  }

  /** Where a line is, for messages: a line of the file, or (SQL pg_restore prints from an archive) the archive's TOC entry. */
  where(line: number, lowerCase = false): string {
    const text = !this.#archive ? `Line ${line} of the SQL file`
      : this.#entry ? `The archive's entry ${this.#entry} (line ${line} of the SQL pg_restore prints from it)`
        : `Line ${line} of the SQL pg_restore prints from the archive`;
    return lowerCase ? text[0]!.toLowerCase() + text.slice(1) : text;
  }

  /** Inside COPY data only the terminator matters, so callers may stream those lines. */
  get inCopyData(): boolean {
    return this.#copyData;
  }

  /** The statements the last line ended: whitespace collapsed, comments out; `complete` unless longer than what is kept. */
  get endedOnLastLine(): readonly EndedStatement[] {
    return this.#ended;
  }

  /** Whether a statement is under way after the last line (text, an open quote or comment). */
  get statementOpen(): boolean {
    return this.#statementHasText || this.#state.mode !== 'initial' || this.#state.parenDepth > 0;
  }

  /** Checks one line (its bytes without the newline, or its text), in file order. */
  line(input: string | Buffer): LineVerdict {
    const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    const lineNo = ++this.facts.lines;
    this.#ended = [];
    if (bytes.includes(0)) throw nulByte(this.where(lineNo));
    if (this.#copyData) {
      if (isCopyEnd(bytes)) this.#copyData = false;
      return 'pass';
    }
    if (bytes.length > MAX_SQL_LINE_BYTES) throw refuse(`${this.where(lineNo)} is longer than ${formatBytes(MAX_SQL_LINE_BYTES, { binary: true })} outside COPY data; Lifeboat does not read lines that long.`, 'pg_dump writes table data as COPY lines, which may be of any length: dump the database again with pg_dump (without --inserts).');
    const text = bytes.toString('latin1');
    if (this.#archive && !this.statementOpen && text.startsWith('-- ')) this.#noteEntry(text);
    if (lineNo < 40 && this.facts.dumpedFromVersion === null) {
      const match = /^-- Dumped from database version (\S+)/.exec(text);
      if (match) this.facts.dumpedFromVersion = match[1]!;
    }
    const multibyte = /[\x80-\xff]/.test(text);
    const before = multibyte ? { ...this.#state } : this.#state;
    const statementWasEmpty = !this.#statementHasText;
    if (this.statementOpen) {
      this.#statementBytes += bytes.length + 1;
      this.#statementLines++;
      if (this.#statementLines > MAX_STATEMENT_LINES) throw refuse(`The statement that goes on at ${this.where(lineNo, true)} spans more than ${MAX_STATEMENT_LINES.toLocaleString('en')} lines; Lifeboat does not read statements that long.`, 'A dump made by pg_dump ends every statement with a semicolon, and keeps table data in COPY blocks: use such a dump (without --inserts).');
      if (this.#statementBytes > MAX_STATEMENT_BYTES) throw refuse(`The statement that goes on at ${this.where(lineNo, true)} is longer than ${formatBytes(MAX_STATEMENT_BYTES, { binary: true })}; Lifeboat does not read statements that long.`, 'A dump made by pg_dump ends every statement with a semicolon, and keeps table data in COPY blocks: use such a dump (without --inserts).');
    }
    let verdict: LineVerdict = 'pass';
    let copyStarts = false;
    let metaAt = -1;
    const onEvent = (event: LexEvent) => {
      if (event.kind === 'meta') {
        verdict = this.#metaCommand(text, event.at, lineNo, statementWasEmpty);
        metaAt = event.at;
      }
      else if (event.kind === 'end') {
        this.#endStatement(lineNo, event.copyFromStdin);
        if (event.copyFromStdin) {
          copyStarts = true;
          checkNothingAfterCopy(text, event.at, this.where(lineNo));
        }
      } else this.#otherEvent(event, lineNo);
    };
    lexLine(text, this.#state, onEvent, this.#sink());
    if (this.#state.mode === 'initial' || this.#state.mode === 'quote' || this.#state.mode === 'dquote') this.#statement += ' ';
    if (multibyte) this.#checkEncodingViews(text, before, { copyStarts, metaAt }, lineNo);
    if (copyStarts) this.#copyData = true;
    return verdict;
  }

  /** Part of a COPY data line too long to be the end marker, streamed by the caller (see sql-pipeline.ts). */
  dataBytes(part: Buffer): void {
    if (part.includes(0)) throw nulByte(this.where(this.facts.lines + 1));
  }

  /** Whole COPY data lines (`count` of them, each ending in a newline, none of them "\."), passed on at once. */
  dataLines(span: Buffer, count: number): void {
    const nul = span.indexOf(0);
    if (nul !== -1) throw nulByte(this.where(this.facts.lines + 1 + countNewlines(span.subarray(0, nul))));
    this.facts.lines += count;
  }

  /** The end of a COPY data line passed on through dataBytes. */
  dataLineEnd(): void {
    this.facts.lines++;
  }

  /** Call at the end: an unterminated COPY block means the file is cut short. */
  finish(): void {
    if (this.#copyData) throw new LifeboatError('ARCHIVE_DAMAGED', 'The SQL file ends inside COPY data (it is cut short).', 'Use a complete copy of the file.');
  }

  #noteEntry(text: string): void {
    const match = /^-- (?:Data for )?Name: (.*); Type: ([A-Z ]+); Schema: (.*); Owner: /.exec(text);
    if (!match) return;
    const name = Buffer.from(match[3] === '-' ? match[1]! : `${match[3]}.${match[1]}`, 'latin1').toString('utf8');
    this.#entry = `${match[2]} ${visibleText([...name].slice(0, 120).join(''))}`;
  }

  #sink(): LexSink {
    const keep = () => {
      if (this.#statement.length < MAX_KEPT_STATEMENT) return true;
      this.#truncated = true;
      return false;
    };
    return {
      sql: (text) => {
        this.#statementHasText = true;
        if (keep()) this.#statement += text;
      },
      quoted: (open, content, close) => {
        this.#statementHasText = true;
        if (keep()) this.#statement += open + content + close;
      },
      space: () => {
        if (keep()) this.#statement += ' ';
      },
    };
  }

  /** psql reads a line with bytes ≥ 0x80 differently in SJIS, BIG5, GBK, UHC, GB18030 and JOHAB; each reading must agree. */
  #checkEncodingViews(text: string, before: LexState, safe: { copyStarts: boolean; metaAt: number }, lineNo: number): void {
    for (const view of encodingViews(text)) {
      const state = { ...before };
      let viewCopy = false;
      let viewMetaAt = -1;
      lexLine(view.line, state, (event) => {
        if (event.kind === 'meta') viewMetaAt = event.at;
        else if (event.kind === 'end') viewCopy ||= event.copyFromStdin;
        else this.#otherEvent(event, lineNo);
      });
      if (!sameLexState(state, this.#state) || viewCopy !== safe.copyStarts || viewMetaAt !== safe.metaAt) {
        throw refuse(`${this.where(lineNo)} reads differently when psql's client encoding is ${view.name}: its non-ASCII bytes hide quotes, backslashes or semicolons in that encoding, and SQL in the file can switch psql to it.`, 'Lifeboat refuses lines whose meaning depends on the client encoding. Dump the database again with pg_dump --encoding=UTF8.');
      }
    }
  }

  #otherEvent(event: LexEvent, lineNo: number): void {
    if (event.kind === 'ambiguous-quote') {
      throw refuse(`${this.where(lineNo)} has a string whose closing quote follows a backslash. Whether psql ends the string there depends on standard_conforming_strings, which SQL can change while psql runs, so Lifeboat cannot tell what psql would run next.`, FROM_PG_DUMP);
    }
    if (event.kind === 'variable' && /^[A-Z0-9_]*[A-Z][A-Z0-9_]*$/.test(event.name)) {
      throw refuse(`${this.where(lineNo)} refers to the psql variable :${event.name}, which psql replaces with text of its own.`, FROM_PG_DUMP);
    }
  }

  #metaCommand(text: string, at: number, line: number, statementWasEmpty: boolean): LineVerdict {
    const rest = text.slice(at);
    const shown = printable(rest.length > 80 ? `${rest.slice(0, 80)}…` : rest);
    const command = /^\\([A-Za-z]+|[^A-Za-z])/.exec(rest)?.[1] ?? '';
    const alone = statementWasEmpty && /^[ \t\f\v]*$/.test(text.slice(0, at));
    if (command === 'connect' && !this.#allowConnect) {
      throw refuse(`Line ${line} of the SQL script switches to another database (${shown}).`, 'Lifeboat restores into the database you choose: use a dump made without -C (and not by pg_dumpall), or remove the \\connect lines.');
    }
    if (alone && (command === 'restrict' || command === 'unrestrict') && /^\\(un)?restrict [A-Za-z0-9]+[ \t\r]*$/.test(rest)) return 'blank';
    // pg_dump's \connect names a database; a backquote or a psql variable in it would run or substitute something.
    if (alone && command === 'connect' && !/[`:]/.test(rest)) {
      this.facts.connects.push(Buffer.from(rest.replace(/^\\connect\s+/, '').trim(), 'latin1').toString('utf8'));
      return 'pass';
    }
    throw refuse(
      `${this.where(line)} runs the psql command "\\${printable(command)}" (${shown}). Lifeboat refuses it: psql meta-commands can run programs or read and write files on this computer, and pg_dump never writes "\\${printable(command)}" there.`,
      FROM_PG_DUMP,
    );
  }

  #endStatement(line: number, copyFromStdin: boolean): void {
    const sql = Buffer.from(this.#statement.trim().replace(/\s+/g, ' '), 'latin1').toString('utf8');
    this.#statement = '';
    this.#ended.push({ sql, complete: !this.#truncated });
    this.#truncated = false;
    this.#statementHasText = false;
    this.#statementBytes = 0;
    this.#statementLines = 0;
    if (!sql) return;
    const upper = sql.toUpperCase();
    // pg_dump always writes "on"; a file that says otherwise is not one of its dumps.
    if (/standard_conforming_strings/i.test(sql) && !/^SET standard_conforming_strings\s*(=|TO)\s*'?on'?$/i.test(sql)) {
      throw refuse(`${this.where(line)} changes standard_conforming_strings, which changes how psql reads backslashes; Lifeboat refuses it.`, 'pg_dump always writes "SET standard_conforming_strings = on": use a dump made by pg_dump.');
    }
    // Tables with rows in the file: COPY blocks, or pg_dump --inserts statements (listed once).
    const table = copyFromStdin ? /^COPY\s+(?:BINARY\s+)?(\S+)/i.exec(sql)?.[1] : /^INSERT INTO\s+(\S+?)(?:\s|\(|$)/i.exec(sql)?.[1];
    if (table && !this.#tablesSeen.has(table)) {
      this.#tablesSeen.add(table);
      this.facts.tables.push(table);
    }
    if (/^CREATE\s+DATABASE\b/.test(upper)) this.facts.createsDatabase = true;
    if (/^(CREATE\s+DATABASE|DROP\s+DATABASE|VACUUM|ALTER\s+SYSTEM|CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|REINDEX\b.*\bCONCURRENTLY|CREATE\s+TABLESPACE|DROP\s+TABLESPACE)\b/.test(upper)) {
      this.facts.needsAutocommit.push(sql.slice(0, 60));
    }
    this.#roleAndExtensionFacts(sql);
    this.#unsafeFacts(sql, line);
  }

  #unsafeFacts(sql: string, line: number): void {
    const reason = MAYBE_UNSAFE.test(sql) ? unsafeReason(sql) : null;
    if (!reason) return;
    const statement = [...sql].slice(0, 160).join('') + (sql.length > 160 ? '…' : '');
    if (this.#refuseUnsafe) {
      throw new LifeboatError('PREFLIGHT_BLOCKED', `${this.#entry ? `The archive's entry ${this.#entry}` : `The statement ending at line ${line}`} ${reason}: ${statement}`, TRUST_FIX);
    }
    this.facts.unsafeCount++;
    if (this.facts.unsafe.length < MAX_LISTED_UNSAFE) this.facts.unsafe.push({ line, statement, reason, ...(this.#entry ? { entry: this.#entry } : {}) });
  }

  /** Owners (OWNER TO, ALTER DEFAULT PRIVILEGES FOR ROLE), grantees and extensions, read from tokens. */
  #roleAndExtensionFacts(sql: string): void {
    if (!/^(ALTER|GRANT|REVOKE|CREATE)\s/i.test(sql)) return;
    const owned = roleStatement(sql);
    if (owned) for (const role of owned.roles) this.facts.owners.add(role.name);
    if (/^(GRANT|REVOKE)\s|^ALTER\s+DEFAULT\s+PRIVILEGES\s/i.test(sql)) for (const role of granteesOf(sql)) this.facts.grantees.add(role);
    const extension = /^CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[\w$]+)/i.exec(sql);
    if (extension) this.facts.extensions.add(unquote(extension[1]!));
  }
}

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}

/** psql ends COPY data at a line that is exactly "\." (or "\.\r"), and only there. */
export function isCopyEnd(line: Buffer): boolean {
  return (line.length === 2 || (line.length === 3 && line[2] === 0x0d)) && line[0] === 0x5c && line[1] === 0x2e;
}

/** psql runs the rest of a COPY line only after the data that follows it; pg_dump never writes anything there. */
function checkNothingAfterCopy(text: string, at: number, where: string): void {
  if (!/^[ \t\n\r\f\v]*(?:--[^\r]*)?$/.test(text.slice(at + 1))) {
    throw refuse(`${where} has more text after "COPY … FROM stdin;". psql would run that text only after the COPY data, which Lifeboat does not follow.`, 'pg_dump writes each COPY statement on a line of its own: use a dump made by pg_dump.');
  }
}

/** Control characters and bytes ≥ 0x80 (shown here as latin1) in a quoted line, visibly escaped. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase();
}
