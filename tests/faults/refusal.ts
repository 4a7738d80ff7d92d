// What every refusal of bad input must look like from the outside: a non-zero exit, one specific
// error (code and words), and never a stack trace or an "Unexpected error".
import { expect } from 'vitest';
import type { CliResult } from '../support/restore-fixtures.ts';

const STACK = /^\s+at \S/m;
const UNEXPECTED = /Unexpected error|"INTERNAL"|\bINTERNAL\b/;

/** No stack trace and no "Unexpected error" anywhere in the CLI's output. */
export function expectNoCrash(result: CliResult, what: string): void {
  const all = result.stdout + result.stderr;
  expect(all, `${what}: a stack trace`).not.toMatch(STACK);
  expect(all, `${what}: an unexpected error`).not.toMatch(UNEXPECTED);
}

/**
 * A `--json` command that failed: exit 1 and `{"error": {code, message, fix}}` naming the problem.
 * Returns the error for further checks.
 */
export function expectJsonRefusal(result: CliResult, codes: string[], message: RegExp, what: string): { code: string; message: string; fix?: string } {
  const context = `${what}\n${result.stdout}\n${result.stderr}`;
  expectNoCrash(result, what);
  expect(result.code, context).toBe(1);
  expect(result.json?.error, context).toBeTruthy();
  expect(codes, context).toContain(result.json.error.code);
  expect(result.json.error.message, context).toMatch(message);
  expect(result.json.error.fix, context).toBeTruthy();
  return result.json.error;
}

/**
 * The same command without --json: exit 1 and exactly one "lifeboat: … Fix: …" line on stderr, the
 * last one (progress lines such as "  0% Checking 0 B" may come before it).
 */
export function expectHumanRefusal(result: CliResult, message: RegExp, what: string): void {
  const context = `${what}\n${result.stdout}\n${result.stderr}`;
  expectNoCrash(result, what);
  expect(result.code, context).toBe(1);
  const lines = result.stderr.trim().split('\n').filter(Boolean);
  expect(lines.filter((l) => l.startsWith('lifeboat:')), context).toHaveLength(1);
  expect(lines.at(-1), context).toMatch(/^lifeboat: .* Fix: /);
  expect(lines.at(-1), context).toMatch(message);
}

/** `lifeboat drill --json` on bad input: not passed, exit 1 (the backup failed) or 2 (could not run), the error named. */
export function expectDrillRefusal(result: CliResult, exit: 1 | 2, codes: string[], message: RegExp, what: string): void {
  const context = `${what}\n${result.stdout}\n${result.stderr}`;
  expectNoCrash(result, what);
  expect(result.code, context).toBe(exit);
  expect(result.json, context).toMatchObject({ passed: false });
  expect(codes, context).toContain(result.json.error?.code);
  expect(result.json.error.message, context).toMatch(message);
}
