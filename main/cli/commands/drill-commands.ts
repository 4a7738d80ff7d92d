import path from 'node:path';
import type { DrillRecord } from '../../engine/model/drill.ts';
import { toErrorInfo } from '../../engine/errors.ts';
import type { Command } from '../cli-command.ts';
import { visibleText as v } from '../../engine/name-text.ts';
import { printable, table, UsageError } from '../cli-output.ts';
import { decryptionKeys, requireFile, runWithProgress } from './archive-commands.ts';

export const DRILL_COMMANDS: Record<string, Command> = {
  drill: {
    usage: 'drill FILE [--scratch embedded | --scratch-profile P] [--keep] [--report OUT.html] [--trust "I trust where this file came from"] [--identity KEYFILE | --passphrase-env VAR] [--json]',
    summary: 'prove a backup restores: restore into a scratch database and compare with the backup\'s snapshot (exit 0 pass, 1 fail, 2 could not run)',
    options: ['scratch', 'scratch-profile', 'keep', 'report', 'trust', 'identity', 'passphrase-env', 'pg-bin'],
    async run({ engine, out, args, values }) {
      const file = path.resolve(requireFile(args[0]));
      if (values.scratch && values.scratch !== 'embedded') throw new UsageError('--scratch takes "embedded" (or use --scratch-profile P for a server)');
      if (values.scratch && values['scratch-profile']) throw new UsageError('choose --scratch embedded or --scratch-profile P, not both');
      if (values.keep && !values['scratch-profile']) throw new UsageError('--keep needs --scratch-profile P (the embedded scratch server is always removed)');
      let record: DrillRecord;
      try {
        record = await runWithProgress(
          engine.drills.start({
            file,
            scratch: values['scratch-profile'] ? { kind: 'profile', profile: values['scratch-profile'] } : { kind: 'embedded' },
            keep: values.keep ?? false,
            keys: await decryptionKeys(values),
            ...(values.report ? { reportFile: path.resolve(values.report) } : {}),
            ...(values.trust !== undefined ? { trust: values.trust } : {}),
          }),
          out,
        );
      } catch (error) {
        // The drill never got to a verdict (cancelled, no key, bad arguments).
        out.result({ passed: false, couldNotRun: true, error: toErrorInfo(error), checks: [], timings: null }, () => `Could not run the drill: ${toErrorInfo(error).message}`);
        process.exitCode = 2;
        return;
      }
      out.result(record, () => describeDrill(record));
      process.exitCode = record.passed ? 0 : record.couldNotRun ? 2 : 1;
    },
  },
  'drill history': {
    usage: 'drill history [--profile P] [--json]',
    summary: 'past drills, newest first, with their verdict and measured recovery time',
    options: ['profile'],
    async run({ engine, out, values }) {
      const history = await engine.drills.history(values.profile ? { profile: values.profile } : {});
      out.result({ drills: history }, () =>
        history.length === 0
          ? 'No drills yet. Run one with: lifeboat drill FILE'
          : table([['WHEN (UTC)', 'VERDICT', 'RECOVERY', 'PROFILE', 'ARCHIVE'], ...history.map((d) => [d.startedAt.replace('T', ' ').slice(0, 19), d.passed ? 'passed' : 'FAILED', `${(d.timings.totalMs / 1000).toFixed(1)} s`, d.source.profile ?? '—', d.archive.name])]),
      );
    },
  },
};

function describeDrill(record: DrillRecord): string {
  const failed = record.checks.filter((c) => !c.passed);
  const lines = [
    `${record.passed ? 'PASSED' : record.couldNotRun ? 'COULD NOT RUN' : 'FAILED'}: ${v(record.archive.name)} → ${v(record.scratch.server)}, database ${v(record.scratch.database)}${record.scratch.kept ? ' (kept)' : ''}`,
    `Recovery time ${(record.timings.totalMs / 1000).toFixed(1)} s (start ${(record.timings.startMs / 1000).toFixed(1)}, restore ${(record.timings.restoreMs / 1000).toFixed(1)}, verify ${(record.timings.verifyMs / 1000).toFixed(1)}, teardown ${(record.timings.teardownMs / 1000).toFixed(1)})`,
    `${record.checks.length - failed.length} of ${record.checks.length} checks match`,
    // Names, values and messages come from the archive and the servers: escaped one by one (see printable).
    ...failed.map((c) => `  ✗ ${v(c.name)}: expected ${v(c.expected)}, got ${v(c.actual)}`),
    ...record.checks.filter((c) => c.passed && c.note?.startsWith('Not checked')).map((c) => `  - ${v(c.name)}: ${v(c.note!)}`),
    ...(record.error ? [`Error: ${v(record.error.message)}${record.error.fix ? ` Fix: ${v(record.error.fix)}` : ''}`] : []),
    ...(record.reportFile ? [`Report: ${v(record.reportFile)}`] : []),
  ];
  return lines.join('\n');
}

export const DEMO_COMMANDS: Record<string, Command> = {
  demo: {
    usage: 'demo [--keep] [--json]',
    summary: 'see Lifeboat work without a server: an embedded PostgreSQL with a demo shop, then backup → verify → drill → restore',
    options: ['keep'],
    async run({ out, values }) {
      const { runDemo } = await import('../../engine/demo/demo-run.ts');
      const result = await runDemo((step) => {
        if (!out.json) process.stdout.write(`${printable(`${step.ok ? '✓' : '✗'} ${step.step} (${(step.ms / 1000).toFixed(1)} s)\n    ${step.detail}`)}\n`);
      }, { keep: values.keep ?? false });
      if (out.json) out.result(result, () => '');
      else process.stdout.write(values.keep ? `\nEverything is in ${result.folder} (archive, demo-key.txt, drill-report.html).\n` : '\nThe demo server and its files were removed.\n');
    },
  },
};
