// A line lexer that follows psql's own (src/fe_utils/psqlscan.l, PostgreSQL 18) closely enough to
// know, for every byte of a line, whether psql reads it in plain SQL, inside a string, quoted
// name, dollar quote or comment — which is where a backslash starts a meta-command — and where
// psql ends a statement (a semicolon outside parentheses and outside CREATE FUNCTION … BEGIN ATOMIC).
//
// It works on bytes (a latin1 string: one char per byte) because psql does: in the client-only
// multibyte encodings (SJIS, BIG5, GBK, UHC, GB18030, JOHAB) psql hides the byte after a lead byte
// from its lexer, and that byte may be a quote or a backslash. `encodingViews` gives the line as
// psql would see it under each of them; the guard lexes every view and refuses when they disagree.
//
// Single-quoted literals are lexed one way for E'…', '…' with standard_conforming_strings on and
// off: the guard refuses the only construct on which those readings differ (a quote preceded by an
// odd run of backslashes), so psql's run-time setting cannot change where a string ends.

export type LexMode = 'initial' | 'quote' | 'dquote' | 'dollar' | 'comment';

/** Everything psql carries from one line to the next that decides how the next line is read. */
export interface LexState {
  mode: LexMode;
  dollarTag: string;
  commentDepth: number;
  parenDepth: number;
  /** CREATE FUNCTION … BEGIN ATOMIC … END: semicolons inside do not end the statement. */
  beginDepth: number;
  /** psql's init_idents: one letter per leading identifier of the statement (see recordIdentifier). */
  idents: string;
}

export const initialLexState = (): LexState => ({ mode: 'initial', dollarTag: '', commentDepth: 0, parenDepth: 0, beginDepth: 0, idents: '' });

export type LexEvent =
  /** A backslash psql reads as the start of a meta-command, at byte `at`. */
  | { kind: 'meta'; at: number }
  /** A semicolon that ends the statement; `copyFromStdin` when psql and the server read it as COPY … FROM STDIN. */
  | { kind: 'end'; at: number; copyFromStdin: boolean }
  /** A quote after an odd run of backslashes: the string ends here or not depending on settings psql reads at run time. */
  | { kind: 'ambiguous-quote'; at: number }
  /** A psql variable reference (:NAME, :'NAME', :"NAME") psql would replace with text. */
  | { kind: 'variable'; at: number; name: string };

/** Receives the text of the statement as it goes (plain SQL, and strings with their contents) for facts. */
export interface LexSink {
  sql(text: string): void;
  /** Text whose content is hidden from `bare` (strings, quoted names, dollar bodies), with its delimiters. */
  quoted(open: string, content: string, close: string): void;
  space(): void;
}

const IDENT_START = /[A-Za-z_\x80-\xff]/;
const IDENT_RUN = /[A-Za-z_\x80-\xff0-9$]*/y;
const NUMBER_RUN = /[0-9](?:_?[0-9])*(?:\.(?!\.)(?:[0-9](?:_?[0-9])*)?)?(?:[eE][-+]?[0-9](?:_?[0-9])*)?/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\x80-\xff][A-Za-z_\x80-\xff0-9]*)?\$/y;
const PARAM = /\$[0-9]+/y;
const VARIABLE = /:(?:([A-Za-z_\x80-\xff0-9]+)|'([A-Za-z_\x80-\xff0-9]+)'|"([A-Za-z_\x80-\xff0-9]+)")/y;
const WHITESPACE = /[ \t\n\r\f\v]/;
/** Single-letter string prefixes psql lexes as part of the string token (E'', B'', X'', N''). */
const STRING_PREFIX = /^[eEbBxXnN]$/;

function matchAt(pattern: RegExp, text: string, at: number): string | null {
  pattern.lastIndex = at;
  const match = pattern.exec(text);
  return match ? match[0] : null;
}

/**
 * Lexes one line (without its newline; psql lexes line by line) from `state`, updating it in place.
 * Stops at the first meta-command (psql hands the rest of the line to the meta-command's own lexer).
 */
export function lexLine(line: string, state: LexState, onEvent: (event: LexEvent) => void, sink?: LexSink): void {
  let i = 0;
  // Where the current single-quoted string's content starts on this line (backslash runs stop there).
  let stringStart = 0;
  const n = line.length;
  while (i < n) {
    switch (state.mode) {
      case 'comment': {
        const open = line.indexOf('/*', i);
        const close = line.indexOf('*/', i);
        if (close === -1 && open === -1) {
          i = n;
        } else if (open !== -1 && (close === -1 || open < close)) {
          state.commentDepth++;
          i = open + 2;
        } else {
          state.commentDepth--;
          i = close + 2;
          if (state.commentDepth === 0) {
            state.mode = 'initial';
            sink?.space();
          }
        }
        break;
      }
      case 'quote': {
        const close = line.indexOf("'", i);
        const end = close === -1 ? n : close;
        sink?.quoted('', line.slice(i, end), close === -1 ? '' : "'");
        if (close !== -1) {
          let run = 0;
          for (let k = close - 1; k >= stringStart && line.charCodeAt(k) === 0x5c; k--) run++;
          if (run % 2 === 1) onEvent({ kind: 'ambiguous-quote', at: close });
          state.mode = 'initial';
        }
        i = end + 1;
        break;
      }
      case 'dquote': {
        const close = line.indexOf('"', i);
        sink?.quoted('', line.slice(i, close === -1 ? n : close), close === -1 ? '' : '"');
        if (close !== -1) state.mode = 'initial';
        i = close === -1 ? n : close + 1;
        break;
      }
      case 'dollar': {
        const close = line.indexOf(state.dollarTag, i);
        sink?.quoted('', line.slice(i, close === -1 ? n : close), close === -1 ? '' : state.dollarTag);
        if (close !== -1) {
          i = close + state.dollarTag.length;
          state.mode = 'initial';
          state.dollarTag = '';
        } else {
          i = n;
        }
        break;
      }
      case 'initial': {
        const next = lexInitial(line, i, state, onEvent, sink);
        if (next < 0) return; // a meta-command: psql's slash-command lexer takes the rest of the line
        if ((state.mode as LexMode) === 'quote') stringStart = next;
        i = next;
        break;
      }
    }
  }
}

/** One token in psql's INITIAL state at `i`; returns where the next token starts, or -1 after a meta-command. */
function lexInitial(line: string, i: number, state: LexState, onEvent: (event: LexEvent) => void, sink?: LexSink): number {
  const c = line[i]!;
  const next = line[i + 1];
  if (WHITESPACE.test(c)) {
    sink?.space();
    return i + 1;
  }
  if (c === '-' && next === '-') {
    // A "--" comment ends at a carriage return too ({non_newline} is [^\n\r]): text after a CR is SQL again.
    const cr = line.indexOf('\r', i + 2);
    sink?.space();
    return cr === -1 ? line.length : cr;
  }
  if (c === '/' && next === '*') {
    state.mode = 'comment';
    state.commentDepth = 1;
    return i + 2;
  }
  if (c === "'") {
    state.mode = 'quote';
    sink?.quoted("'", '', '');
    return i + 1;
  }
  if (c === '"') {
    state.mode = 'dquote';
    sink?.quoted('"', '', '');
    return i + 1;
  }
  if (c === '$') return lexDollar(line, i, state, sink);
  if (IDENT_START.test(c)) return lexWord(line, i, state, sink);
  if ((c >= '0' && c <= '9') || (c === '.' && next !== undefined && next >= '0' && next <= '9')) {
    const number = c === '.' ? `.${matchAt(NUMBER_RUN, line, i + 1) ?? ''}` : matchAt(NUMBER_RUN, line, i)!;
    return swallowJunk(line, i + number.length, i, sink);
  }
  if (c === '\\') {
    onEvent({ kind: 'meta', at: i });
    return -1;
  }
  if (c === ':') return lexColon(line, i, onEvent, sink);
  if (c === ';' && state.parenDepth === 0 && state.beginDepth === 0) {
    onEvent({ kind: 'end', at: i, copyFromStdin: isCopyFromStdin(state.idents) });
    state.idents = '';
    return i + 1;
  }
  if (c === '(') state.parenDepth++;
  if (c === ')' && state.parenDepth > 0) state.parenDepth--;
  sink?.sql(c);
  return i + 1;
}

function lexDollar(line: string, i: number, state: LexState, sink?: LexSink): number {
  const tag = matchAt(DOLLAR_TAG, line, i);
  if (tag) {
    state.mode = 'dollar';
    state.dollarTag = tag;
    sink?.quoted(tag, '', '');
    return i + tag.length;
  }
  const param = matchAt(PARAM, line, i);
  if (param) return swallowJunk(line, i + param.length, i, sink);
  sink?.sql('$');
  return i + 1;
}

/** An identifier (which swallows any "$" after it) or a one-letter string prefix such as E''. */
function lexWord(line: string, i: number, state: LexState, sink?: LexSink): number {
  const word = matchAt(IDENT_RUN, line, i)!;
  const after = line[i + word.length];
  // E'…', B'…', X'…', N'…' and U&'…' / U&"…" are string tokens in psql, not identifiers.
  if (STRING_PREFIX.test(word) && after === "'") {
    sink?.sql(word);
    return i + 1;
  }
  if ((word === 'U' || word === 'u') && after === '&') {
    const quoted = line[i + 2] === "'" || line[i + 2] === '"';
    // Without a quote psql's {xufailed} rule still takes the "U" as a non-identifier token.
    sink?.sql(quoted ? `${word}&` : word);
    return i + (quoted ? 2 : 1);
  }
  sink?.sql(word);
  recordIdentifier(state, word);
  return i + word.length;
}

/** Numbers and parameters followed directly by an identifier are one token in psql (integer_junk, param_junk). */
function swallowJunk(line: string, at: number, start: number, sink?: LexSink): number {
  let end = at;
  if (end < line.length && IDENT_START.test(line[end]!)) end += matchAt(IDENT_RUN, line, end)!.length;
  sink?.sql(line.slice(start, end));
  return end;
}

function lexColon(line: string, i: number, onEvent: (event: LexEvent) => void, sink?: LexSink): number {
  if (line[i + 1] === ':') {
    sink?.sql('::');
    return i + 2;
  }
  const variable = matchAt(VARIABLE, line, i);
  if (variable) {
    onEvent({ kind: 'variable', at: i, name: variable.replace(/^:['"]?|['"]$/g, '') });
    sink?.sql(variable);
    return i + variable.length;
  }
  sink?.sql(':');
  return i + 1;
}

/** psqlscan_track_identifier: the first eight identifiers of a statement, outside parentheses. */
function recordIdentifier(state: LexState, word: string): void {
  if (state.parenDepth !== 0) return;
  if (state.idents.length < 8) {
    const lower = word.toLowerCase();
    let letter = '.';
    if (['create', 'function', 'procedure', 'or', 'replace'].includes(lower)) letter = lower[0]!;
    else if (['copy', 'from', 'stdin', 'stdout'].includes(lower)) letter = lower[0]!.toUpperCase();
    state.idents += letter;
  }
  if (!isCreateRoutine(state.idents)) return;
  const lower = word.toLowerCase();
  if (lower === 'begin') state.beginDepth++;
  else if (lower === 'case' && state.beginDepth >= 1) state.beginDepth++;
  else if (lower === 'end' && state.beginDepth > 0) state.beginDepth--;
}

function isCreateRoutine(idents: string): boolean {
  return idents[0] === 'c' && (idents[1] === 'f' || idents[1] === 'p' || (idents[1] === 'o' && idents[2] === 'r' && (idents[3] === 'f' || idents[3] === 'p')));
}

/** psqlscan_is_copy_from_stdin, which follows the server's grammar (FROM STDOUT is COPY FROM the client too). */
export function isCopyFromStdin(idents: string): boolean {
  if (idents[0] !== 'C') return false;
  for (let i = 1; i < 7; i++) {
    if (idents[i] === 'F') return idents[i + 1] === 'S';
  }
  return false;
}

export function sameLexState(a: LexState, b: LexState): boolean {
  return a.mode === b.mode && a.dollarTag === b.dollarTag && a.commentDepth === b.commentDepth && a.parenDepth === b.parenDepth && a.beginDepth === b.beginDepth && a.idents === b.idents;
}

/** How psql's lexer sees a line's bytes in an encoding: bytes after a lead byte become 0xFF (psqlscan_prepare_buffer). */
type MbLen = (bytes: string, at: number) => number;

const high = (bytes: string, at: number) => bytes.charCodeAt(at) >= 0x80;
const ENCODING_VIEWS: { name: string; mblen: MbLen }[] = [
  { name: 'SJIS', mblen: (b, at) => (b.charCodeAt(at) >= 0xa1 && b.charCodeAt(at) <= 0xdf ? 1 : high(b, at) ? 2 : 1) },
  { name: 'BIG5, GBK or UHC', mblen: (b, at) => (high(b, at) ? 2 : 1) },
  { name: 'GB18030', mblen: (b, at) => (!high(b, at) ? 1 : b.charCodeAt(at + 1) >= 0x30 && b.charCodeAt(at + 1) <= 0x39 ? 4 : 2) },
  { name: 'JOHAB', mblen: (b, at) => (b.charCodeAt(at) === 0x8f ? 3 : high(b, at) ? 2 : 1) },
];

/** The line as psql's lexer sees it in each client-only multibyte encoding (only lines with bytes ≥ 0x80 differ). */
export function encodingViews(line: string): { name: string; line: string }[] {
  return ENCODING_VIEWS.map(({ name, mblen }) => {
    let out = '';
    let from = 0;
    for (let i = 0; i < line.length;) {
      const len = mblen(line, i);
      if (len > 1) {
        const end = Math.min(i + len, line.length);
        out += line.slice(from, i + 1) + '\xff'.repeat(end - i - 1);
        from = end;
      }
      i += len;
    }
    return { name, line: out + line.slice(from) };
  });
}
