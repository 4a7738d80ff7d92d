// Names from files and servers (databases, tables, roles, profiles, file names) are hostile text.
// Shown in a terminal, an ESC starts an escape sequence (colours, cursor moves, OSC 8 links, window
// titles), CR and backspace overwrite what was printed, and bidi overrides (U+202E …) reorder it, so
// "prod" can look like another name. Shown in the app, bidi and invisible characters mislead the same
// way. One rule for the CLI, the UI and the drill report: such characters are written as visible
// escapes (\x1b, \u202e). Pure and dependency-free on purpose: the renderer imports it as well
// (build/eslint.config.js allows this file by name).

/**
 * Controls (C0, DEL, C1), format characters (bidi marks, embeddings, overrides and isolates,
 * zero-width space, soft hyphen, BOM, tag characters), line/paragraph separators, lone surrogates,
 * and other default-ignorable (invisible) code points such as the Hangul fillers. Zero-width
 * (non-)joiners and variation selectors stay: emoji sequences (👨‍👩‍👧, ❤️) and several scripts
 * need them, and they cannot reorder or hide text on their own.
 */
const CANDIDATE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** ZWNJ, ZWJ and the variation selectors U+FE00–U+FE0F are kept (see above). */
function isKept(char: string): boolean {
  const code = char.codePointAt(0)!;
  return code === 0x200c || code === 0x200d || (code >= 0xfe00 && code <= 0xfe0f);
}

function escapeChar(char: string): string {
  if (isKept(char)) return char;
  const named = NAMED[char];
  if (named) return named;
  const code = char.codePointAt(0)!;
  const hex = code.toString(16);
  if (code <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  return code <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
}

/**
 * The text with every unsafe character written as a visible escape; everything else (letters of any
 * script, emoji, quotes, backslashes) as it is. Backslashes are deliberately not doubled: the result
 * contains no unsafe character, so applying it again (to a message that already holds an escaped
 * name) changes nothing. The price is that a name spelled with a literal "\x1b" looks like one with
 * an ESC in it, which misleads nobody into trusting it.
 */
export function visibleText(text: string): string {
  // String(): hostile JSON can put a number or an object where a name should be.
  return String(text).replace(CANDIDATE, escapeChar);
}

/** Like visibleText, but line breaks between lines stay (for multi-line messages and tables). */
export function visibleLines(text: string): string {
  return text.split('\n').map(visibleText).join('\n');
}

/**
 * JSON text whose strings hold no unsafe character raw: JSON.stringify escapes C0 controls itself,
 * but writes DEL, C1 controls, bidi overrides and separators as they are. They are replaced by
 * \uXXXX escapes (surrogate pairs above U+FFFF), which every JSON parser reads back to the same
 * value: the output is still exact JSON. Characters above U+007E can only occur inside strings; raw
 * C0 characters only outside them, as the indentation's whitespace, which stays.
 */
export function jsonVisible(json: string): string {
  return json.replace(CANDIDATE, (char) => (isKept(char) || char.charCodeAt(0) < 0x7f ? char : char.split('').map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')));
}

const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).length;

/**
 * The longest prefix of `text` that fits `maxBytes` of UTF-8, cut between grapheme clusters (never
 * inside a surrogate pair, a combining sequence or an emoji sequence). Lone surrogates become U+FFFD
 * first, so the result is always valid UTF-8. A single cluster longer than the limit is dropped.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const wellFormed = text.replace(/\p{Cs}/gu, '\ufffd'); // String#toWellFormed is ES2024
  if (byteLength(wellFormed) <= maxBytes) return wellFormed;
  let out = '';
  let bytes = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(wellFormed)) {
    const size = byteLength(segment);
    if (bytes + size > maxBytes) break;
    out += segment;
    bytes += size;
  }
  return out;
}
