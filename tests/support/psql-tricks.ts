// The known ways a script can make psql read it differently from a simpler lexer, each one a
// script on which plain psql 18 (ON_ERROR_STOP, one transaction, a table t (a text) in the
// search path) runs `\! touch MARKER #`. tests/faults/psql-guard-fuzz.test.ts shows each one real
// against psql itself and refused by the guard; tests/faults/hostile-corpus.test.ts builds hostile
// files from them in every form Lifeboat restores.

export interface PsqlTrick {
  name: string;
  /** The script, in latin1 (each char one byte); MARKER stands for the absolute path psql's shell command touches. */
  text: string;
  /**
   * Whether the trick survives as the definition of an entry in a pg_dump archive's table of
   * contents: pg_restore prints definitions as C strings, so a NUL byte ends it there.
   */
  fitsInToc: boolean;
}

export const PSQL_TRICKS: PsqlTrick[] = [
  { name: 'an identifier ending in E before a quote', text: "SELECT xE'\\' \\! touch MARKER #';", fitsInToc: true },
  { name: 'standard_conforming_strings turned off by a function call', text: "SELECT set_config('standard_' || 'conforming_strings', 'off', false);\nSELECT 'a\\''; \\! touch MARKER #'", fitsInToc: true },
  { name: 'an SJIS lead byte hiding a quote', text: "SET client_encoding = 'SJIS';\nSELECT '\x81'' \\! touch MARKER #'", fitsInToc: true },
  { name: 'a GB18030 four-byte character hiding a quote', text: "SELECT set_config('client_encoding', 'GB18030', false);\nSELECT '\x81\x30'x' \\! touch MARKER #'", fitsInToc: true },
  { name: 'a NUL byte cutting a line short', text: "SELECT '\0'\nx'; \\! touch MARKER #", fitsInToc: false },
  { name: 'text after COPY … FROM stdin on its line', text: 'COPY t (a) FROM stdin; \\! touch MARKER #\n1\n\\.', fitsInToc: true },
  { name: 'a semicolon inside parentheses', text: 'SELECT (1; COPY t FROM stdin;\n\\! touch MARKER #\n\\.', fitsInToc: true },
  { name: 'semicolons inside BEGIN ATOMIC', text: 'CREATE U& FUNCTION f() BEGIN ATOMIC SELECT 1; COPY t FROM stdin;\n\\! touch MARKER #', fitsInToc: true },
  { name: 'a carriage return ending a -- comment', text: 'SELECT 1; -- note\r\\! touch MARKER #', fitsInToc: true },
  { name: 'an identifier swallowing $$', text: 'SELECT \xe9$$ \\! touch MARKER # $$;', fitsInToc: true },
  { name: 'COPY data ended by \\.\\r', text: 'COPY t (a) FROM stdin;\n1\n\\.\r\n\\! touch MARKER #', fitsInToc: true },
  { name: 'a comment between COPY and FROM', text: "COPY t/**/FROM stdin;\n'\n\\.\n\\! touch MARKER #", fitsInToc: true },
];

/** The trick's bytes with MARKER replaced by `marker`. */
export function trickBytes(trick: PsqlTrick, marker: string): Buffer {
  return Buffer.from(trick.text.replaceAll('MARKER', marker), 'latin1');
}
