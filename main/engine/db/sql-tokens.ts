// A PostgreSQL SQL tokenizer that follows the server's lexer (src/backend/parser/scan.l) and psql's
// copy of it (src/fe_utils/psqlscan.l) for everything that decides where a token ends: quoted
// identifiers, the string forms ('', E'', B'', X'', N'', U&''), string continuation across
// newlines, nested block comments, dollar quotes, operators that contain comment starts. It never
// uses regular expressions over lines and is linear in the input: each character is looked at a
// bounded number of times. Tested against psql and the server themselves (tests/engine/sql-tokens.test.ts).

export type TokenKind =
  | 'word' // an unquoted identifier or keyword
  | 'quoted-ident' // "..." or U&"..."
  | 'string' // '...' in any of its forms (see `form`)
  | 'dollar-string' // $tag$...$tag$
  | 'number'
  | 'param' // $1
  | 'operator'
  | 'punct' // , ( ) [ ] . : :: and single-character operators the grammar knows (+ - * / < > = …)
  | 'comment' // -- to the end of the line, or /* … */ (nested)
  | 'semicolon'
  | 'meta-command'; // psql backslash command, only with the `psql` option

export type StringForm = 'standard' | 'escape' | 'bit' | 'hex' | 'national' | 'unicode';

export interface Token {
  kind: TokenKind;
  /** Offsets into the input: the token is sql.slice(start, end). */
  start: number;
  end: number;
  /** For strings: which prefix it had ('standard' for a plain '…'). */
  form?: StringForm;
  /** A string, quoted identifier, dollar quote or block comment that the input ends inside. */
  unterminated?: true;
}

export interface TokenizeOptions {
  /** As the server setting; pg_dump and pg_dumpall write files for `on` (the default). */
  standardConformingStrings?: boolean;
  /**
   * Read a script as psql does: a backslash starts a command that runs to the end of the line, and
   * since psql lexes each line on its own, a string never continues across a \n (E'a'\n'b' is two
   * literals to psql, one to the server: it matters when the second holds \').
   */
  psql?: boolean;
}

const SELF_CHARS = new Set([...',()[].;:+-*/%^<>=']);
const OP_CHARS = new Set([...'~!@#^&|`?+-*/%<>=']);
/** Operator characters that allow a multi-character operator to end in + or -. */
const NON_SQL_OP_CHARS = new Set([...'~!@#^&|`?%']);

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
const isHorizSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\f' || c === '\v';
const isNewline = (c: string | undefined) => c === '\n' || c === '\r';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
/** [A-Za-z\200-\377_]: every non-ASCII character is part of an identifier, as every byte of its UTF-8 form is. */
const isIdentStart = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c.charCodeAt(0) >= 0x80);
const isDolqCont = (c: string | undefined) => isIdentStart(c) || isDigit(c);
const isIdentCont = (c: string | undefined) => isDolqCont(c) || c === '$';

/** Tokens in input order; whitespace is skipped, comments are tokens. */
export function* tokenize(sql: string, options: TokenizeOptions = {}): Generator<Token> {
  const lexer = new Lexer(sql, options);
  for (let token = lexer.next(); token; token = lexer.next()) yield token;
}

class Lexer {
  #at = 0;
  readonly #sql: string;
  readonly #std: boolean;
  readonly #psql: boolean;

  constructor(sql: string, options: TokenizeOptions) {
    this.#sql = sql;
    this.#std = options.standardConformingStrings ?? true;
    this.#psql = options.psql ?? false;
  }

  next(): Token | null {
    const s = this.#sql;
    while (isSpace(s[this.#at])) this.#at++;
    if (this.#at >= s.length) return null;
    const start = this.#at;
    const token = this.#scan(start);
    this.#at = token.end;
    return token;
  }

  #scan(i: number): Token {
    const s = this.#sql;
    const c = s[i]!;
    const next = s[i + 1];
    if (c === '-' && next === '-') return { kind: 'comment', start: i, end: lineEnd(s, i) };
    if (c === '/' && next === '*') return blockComment(s, i);
    if (c === "'") return this.#quoted(i, i + 1, this.#std ? 'standard' : 'escape', this.#std ? 'standard' : 'escape');
    if (c === '"') return quotedIdent(s, i, i + 1);
    if (c === '$') return dollar(s, i);
    if (isDigit(c) || (c === '.' && isDigit(next))) return number(s, i);
    if (isIdentStart(c)) return this.#word(i);
    if (c === ';') return { kind: 'semicolon', start: i, end: i + 1 };
    if (c === '\\' && this.#psql) {
      // psql: "\;" and "\:" put the character into the query; any other backslash starts a command.
      if (next === ';' || next === ':') return { kind: 'punct', start: i, end: i + 2 };
      return { kind: 'meta-command', start: i, end: lineEnd(s, i, false) };
    }
    if (c === ':' && (next === ':' || next === '=')) return { kind: 'punct', start: i, end: i + 2 };
    if (c === '.' && next === '.') return { kind: 'punct', start: i, end: i + 2 };
    if (OP_CHARS.has(c)) return operator(s, i);
    return { kind: 'punct', start: i, end: i + 1 };
  }

  #quoted(start: number, body: number, mode: QuoteMode, form: StringForm): Token {
    return quoted(this.#sql, start, body, mode, form, this.#psql);
  }

  /** An identifier or keyword, or a prefixed string: E'', B'', X'', N'', U&'' and U&"". */
  #word(i: number): Token {
    const s = this.#sql;
    const c = s[i]!;
    const next = s[i + 1];
    if (next === "'") {
      const lower = c.toLowerCase();
      if (lower === 'e') return this.#quoted(i, i + 2, 'escape', 'escape');
      if (lower === 'b') return this.#quoted(i, i + 2, 'raw', 'bit');
      if (lower === 'x') return this.#quoted(i, i + 2, 'raw', 'hex');
      if (lower === 'n') return this.#quoted(i, i + 2, this.#std ? 'standard' : 'escape', 'national');
    }
    if ((c === 'u' || c === 'U') && next === '&') {
      if (s[i + 2] === "'") return this.#quoted(i, i + 3, 'standard', 'unicode');
      if (s[i + 2] === '"') return quotedIdent(s, i, i + 3);
    }
    let end = i + 1;
    while (isIdentCont(s[end])) end++;
    return { kind: 'word', start: i, end };
  }
}

/** Where a -- comment (or a psql command) ends: before the newline. psql reads lines split at \n only. */
function lineEnd(s: string, from: number, crIsNewline = true): number {
  let i = from;
  while (i < s.length && s[i] !== '\n' && !(crIsNewline && s[i] === '\r')) i++;
  return i;
}

/** Block comments nest; a run of stars before the slash ends one level. */
function blockComment(s: string, start: number): Token {
  let depth = 0;
  let i = start + 2;
  while (i < s.length) {
    const c = s[i];
    if (c === '/' && s[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (c === '*') {
      while (s[i] === '*') i++;
      if (s[i] === '/') {
        i++;
        if (depth-- === 0) return { kind: 'comment', start, end: i };
      }
    } else i++;
  }
  return { kind: 'comment', start, end: s.length, unterminated: true };
}

type QuoteMode = 'standard' | 'escape' | 'raw';

/**
 * A string literal from its opening quote at `body - 1`. 'standard' doubles quotes, 'escape' also
 * takes a backslash and the next character as one, 'raw' (B'' and X'') ends at the first quote.
 * Two literals separated only by whitespace that includes a newline are one literal (SQL standard).
 */
function quoted(s: string, start: number, body: number, mode: QuoteMode, form: StringForm, lineByLine: boolean): Token {
  let i = body;
  for (;;) {
    const close = closingQuote(s, i, mode);
    if (close < 0) return { kind: 'string', start, end: s.length, form, unterminated: true };
    const resume = continuation(s, close + 1, lineByLine);
    if (resume < 0) return { kind: 'string', start, end: close + 1, form };
    i = resume;
  }
}

/** The index of the quote that ends the literal's current segment, or -1. */
function closingQuote(s: string, from: number, mode: QuoteMode): number {
  let i = from;
  while (i < s.length) {
    const c = s[i];
    if (c === "'") {
      if (mode !== 'raw' && s[i + 1] === "'") i += 2;
      else return i;
    } else if (c === '\\' && mode === 'escape') i += 2;
    else i++;
  }
  return -1;
}

/**
 * After a closing quote: the index just after the next segment's opening quote, or -1 when the
 * literal ended. `lineByLine`: psql never shows its lexer a \n, so only a \r can join segments.
 */
function continuation(s: string, from: number, lineByLine = false): number {
  let i = from;
  for (;;) {
    if (isHorizSpace(s[i])) i++;
    else if (s[i] === '-' && s[i + 1] === '-') i = lineEnd(s, i);
    else break;
  }
  if (!isNewline(s[i]) || (lineByLine && s[i] === '\n')) return -1;
  i++;
  for (;;) {
    if (lineByLine && s[i] === '\n') return -1;
    if (isSpace(s[i])) i++;
    else if (s[i] === '-' && s[i + 1] === '-') {
      const end = lineEnd(s, i);
      if (end >= s.length || (lineByLine && s[end] === '\n')) return -1;
      i = end + 1;
    } else break;
  }
  return s[i] === "'" ? i + 1 : -1;
}

function quotedIdent(s: string, start: number, body: number): Token {
  let i = body;
  for (;;) {
    const close = s.indexOf('"', i);
    if (close < 0) return { kind: 'quoted-ident', start, end: s.length, unterminated: true };
    if (s[close + 1] !== '"') return { kind: 'quoted-ident', start, end: close + 1 };
    i = close + 2;
  }
}

/** $tag$…$tag$, a parameter $1, or a lone $. The closing tag is found in linear time. */
function dollar(s: string, start: number): Token {
  let i = start + 1;
  if (isDigit(s[i])) {
    while (isDigit(s[i])) i++;
    if (isIdentStart(s[i])) while (isIdentCont(s[i])) i++; // "$1abc" is one (invalid) token for the server; "$1$" is not
    return { kind: 'param', start, end: i };
  }
  if (isIdentStart(s[i])) while (isDolqCont(s[i])) i++;
  if (s[i] !== '$') return { kind: 'punct', start, end: start + 1 };
  const tag = s.slice(start, i + 1);
  // The tag has no "$" inside, so a failed comparison never skips a "$" that could start the real one.
  for (let from = i + 1; ; ) {
    const at = s.indexOf('$', from);
    if (at < 0) return { kind: 'dollar-string', start, end: s.length, unterminated: true };
    if (s.startsWith(tag, at)) return { kind: 'dollar-string', start, end: at + tag.length };
    from = at + 1;
  }
}

/** Decimal, real, 0x/0o/0b integers with underscores; trailing identifier characters stay in the token, as in the server. */
function number(s: string, start: number): Token {
  let i = start;
  const digits = () => {
    while (isDigit(s[i]) || (s[i] === '_' && isDigit(s[i + 1]))) i++;
  };
  if (s[i] === '0' && /[xXoObB]/.test(s[i + 1] ?? '')) {
    // 0x1F, 0o17, 0b101 — and the server's "0 then identifier" junk rule is at least as long: "0x$$" is one token.
    i++;
    while (isIdentCont(s[i])) i++;
    return { kind: 'number', start, end: i };
  }
  digits();
  if (s[i] === '.' && s[i + 1] !== '.') {
    i++;
    digits();
  }
  if (s[i] === 'e' || s[i] === 'E') {
    const sign = s[i + 1] === '+' || s[i + 1] === '-' ? 1 : 0;
    if (isDigit(s[i + 1 + sign])) {
      i += 1 + sign;
      digits();
    } else if (sign) return { kind: 'number', start, end: i + 2 }; // "1e-" is one (invalid) token: in "1e--" no comment starts
  }
  // "12abc$" is one (invalid) token for the server; in "12$a$" a dollar quote starts after the 12.
  if (isIdentStart(s[i])) while (isIdentCont(s[i])) i++;
  return { kind: 'number', start, end: i };
}

/** An operator stops before an embedded comment start, and drops trailing + and - unless it has a non-SQL operator character. */
function operator(s: string, start: number): Token {
  let end = start;
  while (OP_CHARS.has(s[end]!)) {
    if (end > start && ((s[end] === '*' && s[end - 1] === '/') || (s[end] === '-' && s[end - 1] === '-'))) {
      end--;
      break;
    }
    end++;
  }
  if (end - start > 1 && (s[end - 1] === '+' || s[end - 1] === '-')) {
    let special = false;
    for (let k = start; k < end - 1; k++) if (NON_SQL_OP_CHARS.has(s[k]!)) special = true;
    if (!special) while (end - start > 1 && (s[end - 1] === '+' || s[end - 1] === '-')) end--;
  }
  const kind = end - start === 1 && SELF_CHARS.has(s[start]!) ? 'punct' : 'operator';
  return { kind, start, end };
}

export interface Statement {
  /** Offset of its first token (leading comments included) and just after its last (the semicolon when terminated). */
  start: number;
  end: number;
  /** Offset of its first token that is not a comment, or -1 when it has none. */
  codeStart: number;
  terminated: boolean;
  /** With the `psql` option: a backslash command that stood on its own, not inside a statement. */
  meta?: true;
}

/**
 * Statements as psql sends them: a semicolon ends one unless it is inside parentheses or inside the
 * BEGIN … END body of CREATE [OR REPLACE] FUNCTION/PROCEDURE (psql's own heuristic, which decides
 * what the server receives). The last one may lack its semicolon (`terminated: false`).
 */
export function* splitStatements(sql: string, options: TokenizeOptions = {}): Generator<Statement> {
  const depth = new StatementDepth(sql);
  let start = -1;
  let codeStart = -1;
  for (const token of tokenize(sql, options)) {
    if (token.kind === 'meta-command' && codeStart < 0) {
      yield { start: start < 0 ? token.start : start, end: token.end, codeStart: token.start, terminated: true, meta: true };
      start = -1;
      continue;
    }
    if (start < 0) start = token.start;
    if (token.kind === 'comment') continue;
    if (codeStart < 0) codeStart = token.start;
    if (token.kind === 'semicolon' && depth.atTop()) {
      yield { start, end: token.end, codeStart, terminated: true };
      start = codeStart = -1;
      depth.reset();
    } else depth.see(token);
  }
  if (start >= 0) yield { start, end: sql.length, codeStart, terminated: false };
}

/** psql's paren_depth, begin_depth and first-identifiers tracking (psqlscan.l). */
class StatementDepth {
  #parens = 0;
  #begins = 0;
  #count = 0;
  readonly #firsts: string[] = [];
  readonly #sql: string;

  constructor(sql: string) {
    this.#sql = sql;
  }

  atTop(): boolean {
    return this.#parens === 0 && this.#begins === 0;
  }

  reset(): void {
    this.#count = 0;
  }

  see(token: Token): void {
    const text = this.#sql.slice(token.start, token.end);
    if (token.kind === 'punct') {
      if (text === '(') this.#parens++;
      else if (text === ')' && this.#parens > 0) this.#parens--;
      else if (text === '\\;') this.#count = 0;
      return;
    }
    if (token.kind !== 'word') return;
    // psql reads "u&" not followed by a quote with a rule of its own that does not count the u.
    if ((text === 'u' || text === 'U') && this.#sql[token.end] === '&') return;
    const word = text.length <= 9 ? text.toLowerCase() : '';
    if (this.#count === 0) this.#firsts.length = 0;
    if (['create', 'function', 'procedure', 'or', 'replace'].includes(word) && this.#count < 4) this.#firsts[this.#count] = word[0]!;
    this.#count++;
    const f = this.#firsts;
    const routine = f[0] === 'c' && (f[1] === 'f' || f[1] === 'p' || (f[1] === 'o' && f[2] === 'r' && (f[3] === 'f' || f[3] === 'p')));
    if (!routine || this.#parens !== 0) return;
    if (word === 'begin') this.#begins++;
    else if (word === 'case' && this.#begins >= 1) this.#begins++;
    else if (word === 'end' && this.#begins > 0) this.#begins--;
  }
}

const NAME_MAX_BYTES = 63;

/**
 * The name an identifier token stands for, as the server reads it: unquoted words are lowered
 * (ASCII letters only, as in a UTF-8 database), "" inside quotes is one quote, and names are cut to
 * 63 bytes. Null for what the server would reject or that this does not decode (U&"…").
 */
export function identifierName(sql: string, token: Token): string | null {
  const text = sql.slice(token.start, token.end);
  let name: string;
  if (token.kind === 'word') name = text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  else if (token.kind === 'quoted-ident' && !token.unterminated && text.startsWith('"')) name = text.slice(1, -1).replaceAll('""', '"');
  else return null;
  if (name === '' || name.includes('\0')) return null;
  return clipName(name);
}

function clipName(name: string): string {
  if (Buffer.byteLength(name) <= NAME_MAX_BYTES) return name;
  let bytes = 0;
  let out = '';
  for (const char of name) {
    bytes += Buffer.byteLength(char);
    if (bytes > NAME_MAX_BYTES) break;
    out += char;
  }
  return out;
}

/**
 * The value of a standard, national or E'' string token (continuations joined, escapes applied),
 * or null for forms this does not decode (B'', X'', U&'') and for what the server would reject
 * (invalid UTF-8 from \ escapes, a zero byte).
 */
export function stringValue(sql: string, token: Token): string | null {
  if (token.kind !== 'string' || token.unterminated || !['standard', 'national', 'escape'].includes(token.form!)) return null;
  const escapes = token.form === 'escape';
  const bytes: number[] = [];
  let i = token.start + sql.slice(token.start, token.start + 2).indexOf("'") + 1;
  for (;;) {
    const c = sql[i]!;
    if (c === "'") {
      if (sql[i + 1] === "'") {
        bytes.push(0x27);
        i += 2;
        continue;
      }
      const resume = continuation(sql, i + 1);
      if (resume < 0 || resume > token.end) break;
      i = resume;
    } else if (c === '\\' && escapes) {
      const used = escapeSequence(sql, i, bytes);
      if (used < 0) return null;
      i += used;
    } else if (c < '\x80') {
      bytes.push(c.charCodeAt(0));
      i++;
    } else {
      const code = sql.codePointAt(i)!;
      pushUtf8(bytes, code);
      i += code > 0xffff ? 2 : 1;
    }
  }
  try {
    const value = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    return value.includes('\0') ? null : value;
  } catch {
    return null;
  }
}

const SIMPLE_ESCAPES: Record<string, number> = { b: 8, f: 12, n: 10, r: 13, t: 9 };

/** Appends the bytes of the escape at `at` (a backslash); returns how many characters it used, or -1 when the server rejects it. */
function escapeSequence(s: string, at: number, out: number[]): number {
  const c = s[at + 1]!;
  if (c in SIMPLE_ESCAPES) return out.push(SIMPLE_ESCAPES[c]!), 2;
  const octal = /^[0-7]{1,3}/.exec(s.slice(at + 1, at + 4));
  if (octal) return out.push(parseInt(octal[0], 8) & 0xff), 1 + octal[0].length;
  const hex = c === 'x' ? /^[0-9A-Fa-f]{1,2}/.exec(s.slice(at + 2, at + 4)) : null;
  if (hex) return out.push(parseInt(hex[0], 16)), 2 + hex[0].length;
  if (c === 'u' || c === 'U') return unicodeEscape(s, at, out);
  const code = s.codePointAt(at + 1)!;
  pushUtf8(out, code);
  return code > 0xffff ? 3 : 2;
}

/** \uXXXX or \UXXXXXXXX, with UTF-16 surrogate pairs written as two \u escapes. */
function unicodeEscape(s: string, at: number, out: number[]): number {
  const length = s[at + 1] === 'u' ? 4 : 8;
  const digits = s.slice(at + 2, at + 2 + length);
  if (!new RegExp(`^[0-9A-Fa-f]{${length}}$`).test(digits)) return -1;
  let code = parseInt(digits, 16);
  let used = 2 + length;
  if (code >= 0xd800 && code <= 0xdbff) {
    const low = /^\\u([0-9A-Fa-f]{4})/.exec(s.slice(at + used, at + used + 6));
    const lowCode = low ? parseInt(low[1]!, 16) : 0;
    if (lowCode < 0xdc00 || lowCode > 0xdfff) return -1;
    code = 0x10000 + ((code - 0xd800) << 10) + (lowCode - 0xdc00);
    used += 6;
  } else if (code >= 0xdc00 && code <= 0xdfff) return -1;
  if (code === 0 || code > 0x10ffff) return -1;
  pushUtf8(out, code);
  return used;
}

function pushUtf8(out: number[], code: number): void {
  for (const byte of Buffer.from(String.fromCodePoint(code), 'utf8')) out.push(byte);
}
