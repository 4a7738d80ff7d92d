// The engine's shape, checked over its real import graph: no import cycle between files (main/), and
// none between capability folders of main/engine, so back-edges like restore/ → backup/ cannot return.
// index.ts (the composition root, which wires every folder together) is the one file allowed to import
// them all; the other root files (errors, types, ports, name-text, format-bytes) and model/ are the
// bottom layer. The IPC contract (main/ipc/contract.ts) takes the engine's data shapes from model/ only.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/engine-fixture.ts';

const MAIN = path.join(REPO_ROOT, 'main');
const ENGINE = path.join(MAIN, 'engine');
const COMPOSITION_ROOT = path.join(ENGINE, 'index.ts');
/** The demo builds a whole engine (createEngine), as the CLI does: it sits above the composition root. */
const ABOVE_THE_ROOT = [path.join(ENGINE, 'demo', 'demo-run.ts')];
const MODEL = path.join(ENGINE, 'model');
const CONTRACT = path.join(MAIN, 'ipc', 'contract.ts');
const BOTTOM = ['errors.ts', 'types.ts', 'ports.ts', 'name-text.ts', 'format-bytes.ts'].map((f) => path.join(ENGINE, f));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path.join(dir, e.name)] : []));
}

/** Relative imports and re-exports (type-only ones too: they are dependencies of the design). */
function importsOf(file: string): string[] {
  return importsIn(readFileSync(file, 'utf8'), file);
}

function importsIn(text: string, file: string): string[] {
  const found = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gms), ...text.matchAll(/^\s*import\s+'(\.{1,2}\/[^']+)'/gm)];
  return found.map((m) => path.resolve(path.dirname(file), m[1]!));
}

function graphOf(files: string[], nodeOf: (file: string) => string | null): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = nodeOf(file);
    if (from === null) continue;
    for (const target of importsOf(file)) {
      const to = nodeOf(target);
      if (to === null || to === from) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      graph.get(from)!.set(to, `${path.relative(REPO_ROOT, file)} → ${path.relative(REPO_ROOT, target)}`);
    }
  }
  return graph;
}

/** Every cycle's strongly connected component (Tarjan), each with one example edge per member. */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    order.set(node, index);
    low.set(node, index++);
    stack.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) low.set(node, Math.min(low.get(node)!, order.get(next)!));
    }
    if (low.get(node) !== order.get(node)) return;
    const members: string[] = [];
    let member: string;
    do members.push((member = stack.pop()!));
    while (member !== node);
    if (members.length > 1) found.push(members.map((m) => [...(graph.get(m) ?? new Map<string, string>()).entries()].filter(([to]) => members.includes(to)).map(([, edge]) => edge).join('; ')));
  };
  for (const node of graph.keys()) if (!order.has(node)) visit(node);
  return found;
}

/** What `text` (as the file `file`) takes from main/engine outside model/: imports, re-exports and import('…') types. */
function engineImportsOutsideModel(text: string, file: string): string[] {
  const typeQueries = [...text.matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)].map((m) => path.resolve(path.dirname(file), m[1]!));
  return [...importsIn(text, file), ...typeQueries].filter((target) => target.startsWith(`${ENGINE}${path.sep}`) && !target.startsWith(`${MODEL}${path.sep}`)).map((target) => path.relative(REPO_ROOT, target));
}

function capabilityOf(file: string): string | null {
  if (!file.startsWith(`${ENGINE}${path.sep}`) || file === COMPOSITION_ROOT || ABOVE_THE_ROOT.includes(file)) return null;
  if (BOTTOM.includes(file)) return '(bottom)';
  const [folder, ...rest] = path.relative(ENGINE, file).split(path.sep);
  return rest.length ? folder! : '(bottom)';
}

describe('the import graph', () => {
  it('the checker finds a cycle when there is one (a planted graph)', () => {
    const planted = new Map([['restore', new Map([['backup', 'restore → backup']])], ['backup', new Map([['archive', 'backup → archive']])], ['archive', new Map([['restore', 'archive → restore']])]]);
    expect(cycles(planted)).toHaveLength(1);
    expect(cycles(planted)[0]!.sort()).toEqual(['archive → restore', 'backup → archive', 'restore → backup']);
  });

  it('has no import cycle between files of main/', () => {
    expect(cycles(graphOf(sourceFiles(MAIN), (f) => f))).toEqual([]);
  });

  it('has no import cycle between the capability folders of main/engine (the composition root aside)', () => {
    expect(cycles(graphOf(sourceFiles(ENGINE), capabilityOf))).toEqual([]);
  });

  it('model/ imports nothing but model/ (not even types.ts), and the bottom files import no capability folder', () => {
    const graph = graphOf(sourceFiles(ENGINE), capabilityOf);
    const allowed: [string, string[]][] = [['(bottom)', ['(bottom)', 'model']], ['model', ['model']]];
    const upward = allowed.flatMap(([low, may]) => [...(graph.get(low)?.entries() ?? [])].filter(([to]) => !may.includes(to)).map(([, edge]) => edge));
    expect(upward).toEqual([]);
  });

  it('the IPC contract imports from main/engine only model/ (the checker catches any other engine file)', () => {
    for (const planted of ["import type { ErrorInfo } from '../engine/types.ts';", "export type * from '../engine/archive/archive-format.ts';", "export type A = import('../engine/jobs/job.ts').JobProgress;"]) {
      expect(engineImportsOutsideModel(planted, CONTRACT), planted).toHaveLength(1);
    }
    const contract = readFileSync(CONTRACT, 'utf8');
    expect(importsIn(contract, CONTRACT).some((target) => target.startsWith(`${MODEL}${path.sep}`))).toBe(true);
    expect(engineImportsOutsideModel(contract, CONTRACT)).toEqual([]);
  });
});
