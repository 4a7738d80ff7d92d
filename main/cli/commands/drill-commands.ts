import path from 'node:path';
import type { DrillRecord } from '../../engine/model/drill.ts';
import { isCodeIn, toErrorInfo, VERDICT_ON_THE_BACKUP_CODES } from '../../engine/errors.ts';
import type { Command, Values } from '../cli-command.ts';
import { printable, table, UsageError, type Output } from '../cli-output.ts';
import { decryptionKeys, requireFile } from './archive-commands.ts';
import { runWithProgress } from '../job-progress.ts';
import { describeDrill, describeRunDrill } from './drill-text.ts';
import type { Engine } from '../../engine/index.ts';
import { RUN_RECORD_EXTENSION } from '../../engine/server-run/run-record.ts';
import { withArchiveFile } from './destination-commands.ts';

/** `lifeboat drill RUN.lifeboat-run.json`: every database of a whole-server run, one verdict (exit 0 all passed, 1 one failed, 2 one could not run). */
async function drillRun(engine: Engine, out: Output, file: string, values: Values): Promise<void> {
  if (values.keep || values.report) throw new UsageError('--keep and --report are for one archive: drill the run\'s archives one by one for them');
  const result = await runWithProgress(engine.runDrills.start({
    file,
    scratch: values['scratch-profile'] ? { kind: 'profile', profile: values['scratch-profile'] } : { kind: 'embedded' },
    keys: await decryptionKeys(values),
    ...(values.trust !== undefined ? { trust: values.trust } : {}),
  }), out);
  out.result(result, () => describeRunDrill(result));
  process.exitCode = result.passed ? 0 : result.couldNotRun ? 2 : 1;
}

export const DRILL_COMMANDS: Record<string, Command> = {
  drill: {
    usage: 'drill FILE|DEST:ARCHIVE|RUN.lifeboat-run.json [--scratch embedded | --scratch-profile P] [--keep] [--report OUT.html] [--trust "I trust where this file came from"] [--identity KEYFILE | --passphrase-env VAR] [--json]',
    summary: 'prove a backup restores: restore into a scratch database and compare with the backup\'s snapshot (exit 0 pass, 1 fail, 2 could not run)',
    options: ['scratch', 'scratch-profile', 'keep', 'report', 'trust', 'identity', 'passphrase-env', 'pg-bin'],
    async run({ engine, out, args, values }) {
      const archive = requireFile(args[0]);
      if (values.scratch && values.scratch !== 'embedded') throw new UsageError('--scratch takes "embedded" (or use --scratch-profile P for a server)');
      if (values.scratch && values['scratch-profile']) throw new UsageError('choose --scratch embedded or --scratch-profile P, not both');
      if (values.keep && !values['scratch-profile']) throw new UsageError('--keep needs --scratch-profile P (the embedded scratch server is always removed)');
      if (archive.endsWith(RUN_RECORD_EXTENSION)) return drillRun(engine, out, path.resolve(archive), values);
      let record: DrillRecord;
      try {
        record = await withArchiveFile(engine, out, archive, async (file) => runWithProgress(
          engine.drills.start({
            file,
            scratch: values['scratch-profile'] ? { kind: 'profile', profile: values['scratch-profile'] } : { kind: 'embedded' },
            keep: values.keep ?? false,
            keys: await decryptionKeys(values),
            ...(values.report ? { reportFile: path.resolve(values.report) } : {}),
            ...(values.trust !== undefined ? { trust: values.trust } : {}),
          }),
          out,
        ));
      } catch (error) {
        const info = toErrorInfo(error);
        // A remote copy whose download did not verify is a verdict on that copy (exit 1); anything else
        // means the drill never got to one (cancelled, no key, bad arguments).
        const verdict = isCodeIn(VERDICT_ON_THE_BACKUP_CODES, info.code);
        out.result({ passed: false, couldNotRun: !verdict, error: info, checks: [], timings: null }, () => `${verdict ? 'The drill FAILED' : 'Could not run the drill'}: ${info.message}${info.fix ? `\nFix: ${info.fix}` : ''}`);
        process.exitCode = verdict ? 1 : 2;
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
