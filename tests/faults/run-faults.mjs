#!/usr/bin/env node
// `npm run test:faults`: the full fault-injection tier, then the result table in RELIABILITY.md is
// rewritten from that run (between the result markers), so the document always shows the last run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const reportDir = mkdtempSync(path.join(os.tmpdir(), 'lifeboat-faults-'));
const report = path.join(reportDir, 'faults.json');
const started = Date.now();
// The fault suite, plus the IPC fuzzing and window-security checks that live with the engine tests.
const files = process.argv.length > 2 ? process.argv.slice(2) : ['tests/faults/', 'tests/engine/ipc-contract.test.ts', 'tests/engine/layering.test.ts'];
const run = spawnSync(process.execPath, [path.join(root, 'tests/support/run-tests.mjs'), '--project', 'faults', '--project', 'engine', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...files], {
  stdio: 'inherit',
  env: { ...process.env, LIFEBOAT_FAULTS: 'full' },
});

if (existsSync(report) && process.argv.length <= 2) {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  const rows = [];
  for (const file of results.testResults) {
    for (const test of file.assertionResults) {
      const verdict = test.status === 'passed' ? 'pass' : test.status === 'failed' ? '**FAIL**' : test.status;
      rows.push(`| ${path.relative(root, file.name)} | ${[...test.ancestorTitles, test.title].join(' › ').replaceAll('|', '\\|')} | ${verdict} | ${((test.duration ?? 0) / 1000).toFixed(1)} s |`);
    }
  }
  const summary = `Last full run: ${new Date(started).toISOString().slice(0, 16).replace('T', ' ')} UTC, ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped, ${Math.round((Date.now() - started) / 1000)} s (\`npm run test:faults\`, ${os.cpus().length} cores).`;
  const table = ['<!-- results:start -->', summary, '', '| file | scenario | result | time |', '|---|---|---|---|', ...rows, '<!-- results:end -->'].join('\n');
  const doc = path.join(root, 'RELIABILITY.md');
  const text = readFileSync(doc, 'utf8');
  writeFileSync(doc, text.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, table));
  console.log(`run-faults: result table written to RELIABILITY.md (${rows.length} rows)`);
}
rmSync(reportDir, { recursive: true, force: true });
process.exit(run.status ?? 1);
