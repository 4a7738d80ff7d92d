// The drill's pure steps, without a server: the comparisons that turn what a backup recorded and what
// the scratch restore holds into checks, the verdict they add up to, the error-code lists that decide
// "failed" from "could not run", and the history files (written and read in a temp folder).
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveManifest, ArchiveSidecar, CanaryResult, ObjectCounts } from '../../main/engine/archive/archive-format.ts';
import { allPassed, canaryCheck, failuresFirst, objectCountChecks, planCanaries, recordFailure, recordRestoreFailure, refusedFileChecks, restoreFailedCheck, restoreSucceededCheck, rowCountChecks, sidecarChecks, verdictPhase, type CanaryPlan } from '../../main/engine/drill/drill-checks.ts';
import { appendDrillHistory, DRILL_HISTORY_FILE, drillReportPath, matchesDrillFilter, parseDrillHistory, readDrillHistory, storeDrillReport } from '../../main/engine/drill/drill-history.ts';
import { renderDrillReport } from '../../main/engine/drill/drill-report.ts';
import { DrillService, type DrillCheck, type DrillDeps, type DrillRecord } from '../../main/engine/drill/drill-service.ts';
import { COULD_NOT_READ_FILE_CODES, COULD_NOT_RUN_CODES, isCodeIn, LifeboatError, VERDICT_ON_THE_BACKUP_CODES } from '../../main/engine/errors.ts';
import type { Profile } from '../../main/engine/types.ts';

function makeRecord(overrides: Partial<DrillRecord> = {}): DrillRecord {
  return {
    id: '20250101T000000Z-abc123',
    passed: false,
    couldNotRun: false,
    archive: { path: '/backups/shop_shop_20250101T000000Z.lifeboat', name: 'shop_shop_20250101T000000Z.lifeboat', sha256: null },
    source: { profile: 'Shop', database: 'shop', host: 'db:5432', serverVersion: '18.1', createdAt: null },
    scratch: { kind: 'embedded', server: '', database: '', kept: false },
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    who: 'me@here',
    tools: { pg_restore: null, psql: null, scratchServer: null, lifeboat: '0.0.0-test' },
    checks: [],
    tolerated: [],
    timings: { startMs: 0, restoreMs: 0, verifyMs: 0, teardownMs: 0, totalMs: 0 },
    error: null,
    reportFile: null,
    ...overrides,
  };
}

function check(name: string, passed: boolean): DrillCheck {
  return { kind: 'table', name, expected: '1', actual: passed ? '1' : '2', passed };
}

function profile(name: string, canaryQueries: { name: string; sql: string }[]): Profile {
  return { id: name, name, host: 'db', port: 5432, database: 'shop', user: 'app', sslmode: 'prefer', color: 'blue', canaryQueries, createdAt: '', updatedAt: '' } as Profile;
}

const manifestWith = (rowCounts: boolean) => ({ options: { rowCounts } }) as unknown as ArchiveManifest;

describe('the error-code lists', () => {
  it('each list holds exactly its codes', () => {
    expect([...COULD_NOT_RUN_CODES].sort()).toEqual(['CANCELLED', 'NO_KEY', 'TOOL_NOT_FOUND', 'TOOL_TOO_OLD', 'WRONG_KEY']);
    expect([...VERDICT_ON_THE_BACKUP_CODES].sort()).toEqual(['ARCHIVE_DAMAGED', 'NOT_AN_ARCHIVE', 'RESTORE_FAILED', 'VERIFY_FAILED']);
    expect([...COULD_NOT_READ_FILE_CODES].sort()).toEqual(['FILE_NOT_FOUND', 'NOT_AN_ARCHIVE', 'NO_KEY', 'TOOL_NOT_FOUND', 'WRONG_KEY']);
  });

  it('no code is both "could not run" and "a verdict on the backup"', () => {
    expect(COULD_NOT_RUN_CODES.filter((code) => VERDICT_ON_THE_BACKUP_CODES.includes(code))).toEqual([]);
  });

  it('cannot be changed at run time', () => {
    for (const list of [COULD_NOT_RUN_CODES, VERDICT_ON_THE_BACKUP_CODES, COULD_NOT_READ_FILE_CODES]) {
      expect(Object.isFrozen(list)).toBe(true);
      expect(() => (list as string[]).push('INTERNAL')).toThrow(TypeError);
    }
  });

  it('isCodeIn answers for codes in a list, others, and text that is no code at all', () => {
    expect(isCodeIn(COULD_NOT_RUN_CODES, 'NO_KEY')).toBe(true);
    expect(isCodeIn(COULD_NOT_RUN_CODES, 'ARCHIVE_DAMAGED')).toBe(false);
    expect(isCodeIn(VERDICT_ON_THE_BACKUP_CODES, 'NOT_AN_ARCHIVE')).toBe(true);
    expect(isCodeIn(COULD_NOT_READ_FILE_CODES, 'FILE_NOT_FOUND')).toBe(true);
    expect(isCodeIn(COULD_NOT_READ_FILE_CODES, 'ARCHIVE_DAMAGED')).toBe(false);
    for (const list of [COULD_NOT_RUN_CODES, VERDICT_ON_THE_BACKUP_CODES, COULD_NOT_READ_FILE_CODES]) {
      expect(isCodeIn(list, '')).toBe(false);
      expect(isCodeIn(list, 'no_key')).toBe(false);
      expect(isCodeIn(list, 'INTERNAL')).toBe(false);
    }
  });
});

describe('restore and integrity checks', () => {
  it('a refused file fails its drill, except one from a newer Lifeboat (no check: could not run)', () => {
    expect(refusedFileChecks({ code: 'ARCHIVE_DAMAGED', message: 'The archive is damaged.' })).toEqual([
      { kind: 'integrity', name: 'The backup file can be read and restored', expected: 'a restorable backup', actual: 'The archive is damaged.', passed: false },
    ]);
    expect(refusedFileChecks({ code: 'ARCHIVE_UNSUPPORTED', message: 'Made by a newer Lifeboat.' })).toEqual([]);
  });

  it('the restore check, as it is written to the history (field order included)', () => {
    expect(JSON.stringify(restoreSucceededCheck([]))).toBe('{"kind":"restore","name":"Restore finished without errors","expected":"success","actual":"success","passed":true}');
    expect(JSON.stringify(restoreSucceededCheck(['role "x" does not exist', 'extension "y"']))).toBe('{"kind":"restore","name":"Restore finished without errors","expected":"success","actual":"success","passed":true,"note":"Tolerated: role \\"x\\" does not exist; extension \\"y\\""}');
    expect(JSON.stringify(restoreFailedCheck('pg_restore failed'))).toBe('{"kind":"restore","name":"Restore finished without errors","expected":"success","actual":"pg_restore failed","passed":false}');
  });

  it('compares the drilled bytes with the sidecar, and notes an unusable sidecar without failing', () => {
    const ok = (sha256: string) => ({ kind: 'ok' as const, sidecar: { sha256 } as ArchiveSidecar });
    expect(sidecarChecks({ kind: 'missing' }, 'aa')).toEqual([]);
    expect(sidecarChecks(ok('aa'), null)).toEqual([]);
    expect(sidecarChecks(ok('aa'), 'aa')).toEqual([{ kind: 'integrity', name: 'Archive sha256 equals the sidecar', expected: 'aa', actual: 'aa', passed: true }]);
    expect(sidecarChecks(ok('aa'), 'bb')).toEqual([{ kind: 'integrity', name: 'Archive sha256 equals the sidecar', expected: 'aa', actual: 'bb', passed: false }]);
    expect(sidecarChecks({ kind: 'bad', problem: 'The sidecar x.json is not valid JSON.' }, 'bb')).toEqual([
      { kind: 'integrity', name: 'Archive sha256 equals the sidecar', expected: 'a usable sidecar', actual: 'not checked', passed: true, note: 'Not checked: The sidecar x.json is not valid JSON.' },
    ]);
  });
});

describe('row counts, object counts and canaries', () => {
  it('row counts: equal passes; different or a missing table fails', () => {
    const checks = rowCountChecks(
      [
        { table: 'public.orders', expected: 3, actual: 3 },
        { table: 'public.items', expected: 5, actual: 4 },
        { table: 'public.gone', expected: 2, actual: 0, missing: true },
      ],
      manifestWith(true),
    );
    expect(checks).toEqual([
      { kind: 'table', name: 'public.orders', expected: '3', actual: '3', passed: true },
      { kind: 'table', name: 'public.items', expected: '5', actual: '4', passed: false },
      { kind: 'table', name: 'public.gone', expected: '2', actual: 'table missing', passed: false },
    ]);
  });

  it('a backup that promised row counts but has none fails; one that did not promise them, or a plain dump, has no such check', () => {
    expect(rowCountChecks([], manifestWith(true))).toEqual([{ kind: 'table', name: 'Row counts', expected: 'recorded in the backup', actual: 'none recorded', passed: false }]);
    expect(rowCountChecks([], manifestWith(false))).toEqual([]);
    expect(rowCountChecks([], null)).toEqual([]);
  });

  it('object counts: one check per recorded kind, labelled, in the manifest\'s order', () => {
    const actual: ObjectCounts = { tables: 4, views: 1, materializedViews: 0, sequences: 2, indexes: 6, functions: 3 };
    const checks = objectCountChecks({ views: 1, tables: 5, materializedViews: 0, sequences: 2, indexes: 6, functions: 3 }, actual);
    expect(checks.map((c) => [c.name, c.expected, c.actual, c.passed])).toEqual([
      ['Views', '1', '1', true],
      ['Tables', '5', '4', false],
      ['Materialized views', '0', '0', true],
      ['Sequences', '2', '2', true],
      ['Indexes', '6', '6', true],
      ['Functions', '3', '3', true],
    ]);
    expect(checks.every((c) => c.kind === 'objects')).toBe(true);
    expect(objectCountChecks({ tables: 1 } as ObjectCounts, actual)).toEqual([{ kind: 'objects', name: 'Tables', expected: '1', actual: '4', passed: false }]);
  });

  it('canaries run only the saved profile\'s own SQL, and only when it is the query the backup ran', () => {
    const recorded: CanaryResult[] = [
      { name: 'orders', sql: '  SELECT count(*) FROM orders ', value: '3', error: null },
      { name: 'unknown', sql: 'SELECT 1', value: '1', error: null },
      { name: 'changed', sql: 'SELECT 1', value: '1', error: null },
      { name: 'broken', sql: 'SELECT x', value: null, error: 'column "x" does not exist' },
    ];
    const own = profile('Shop', [
      { name: 'orders', sql: 'SELECT count(*) FROM orders' },
      { name: 'changed', sql: 'SELECT 2' },
      { name: 'broken', sql: 'SELECT x' },
    ]);
    const plans = planCanaries(recorded, 'shop', [profile('Other', []), own]);
    expect(plans.map((p) => p.kind)).toEqual(['run', 'not-checked', 'not-checked', 'not-checked']);
    const run = plans[0] as Extract<CanaryPlan, { kind: 'run' }>;
    // The profile's text runs, never the archive's.
    expect(run.sql).toBe('SELECT count(*) FROM orders');
    expect(run.canary).toEqual({ name: 'orders', sql: '  SELECT count(*) FROM orders ', value: '3', error: null });
    const notes = plans.slice(1).map((p) => (p as Extract<CanaryPlan, { kind: 'not-checked' }>).check);
    expect(notes).toEqual([
      { kind: 'canary', name: 'unknown', expected: '1', actual: 'not checked', passed: true, note: 'Not checked: the profile "Shop" has no canary named "unknown"; canary queries run only from a saved profile, never from the archive' },
      { kind: 'canary', name: 'changed', expected: '1', actual: 'not checked', passed: true, note: "Not checked: the profile's query for this canary changed since the backup, so the recorded value is not comparable" },
      { kind: 'canary', name: 'broken', expected: '(failed at backup time)', actual: 'not checked', passed: true, note: 'Not checked: column "x" does not exist' },
    ]);
  });

  it('canaries of an archive whose profile is not saved here are not checked; odd manifest fields are taken as text', () => {
    const hostile = [{ name: 42, sql: null, value: 7, error: null }] as unknown as CanaryResult[];
    expect(planCanaries(hostile, 'Gone', [profile('Shop', [{ name: '42', sql: '' }])])).toEqual([
      { kind: 'not-checked', check: { kind: 'canary', name: '42', expected: '7', actual: 'not checked', passed: true, note: 'Not checked: no saved profile is named "Gone"; canary queries run only from a saved profile, never from the archive' } },
    ]);
  });

  it('a re-run canary passes only on the very value recorded', () => {
    const canary = { name: 'orders', sql: 'SELECT 1', value: '3', error: null };
    expect(canaryCheck(canary, '3')).toEqual({ kind: 'canary', name: 'orders', expected: '3', actual: '3', passed: true });
    expect(canaryCheck(canary, '4')).toEqual({ kind: 'canary', name: 'orders', expected: '3', actual: '4', passed: false });
    expect(canaryCheck(canary, 'error: permission denied')).toMatchObject({ actual: 'error: permission denied', passed: false });
    expect(canaryCheck({ ...canary, value: null }, null)).toEqual({ kind: 'canary', name: 'orders', expected: 'null', actual: 'null', passed: true });
    expect(canaryCheck({ ...canary, value: null }, 'null')).toMatchObject({ passed: false });
  });
});

describe('the verdict', () => {
  it('passes only when every check passed, and lists failures first, otherwise in order', () => {
    expect(allPassed([])).toBe(true);
    expect(allPassed([check('a', true), check('b', true)])).toBe(true);
    expect(allPassed([check('a', true), check('b', false)])).toBe(false);
    const checks = [check('a', true), check('b', false), check('c', true), check('d', false)];
    expect(checks.sort(failuresFirst).map((c) => c.name)).toEqual(['b', 'd', 'a', 'c']);
  });

  it('a drill stopped before any check could not run, unless the error is a verdict on the backup', () => {
    const noKey = makeRecord({ passed: true });
    recordFailure(noKey, new LifeboatError('NO_KEY', 'No key.', 'Import the key.'));
    expect(noKey).toMatchObject({ passed: false, couldNotRun: true, error: { code: 'NO_KEY', message: 'No key.', fix: 'Import the key.' } });

    const unsupported = makeRecord();
    recordFailure(unsupported, new LifeboatError('ARCHIVE_UNSUPPORTED', 'Newer.'));
    expect(unsupported.couldNotRun).toBe(true);

    const unexpected = makeRecord();
    recordFailure(unexpected, new Error('boom'));
    expect(unexpected).toMatchObject({ couldNotRun: true, error: { code: 'INTERNAL', message: 'Unexpected error: boom' } });

    for (const code of VERDICT_ON_THE_BACKUP_CODES) {
      const record = makeRecord();
      recordFailure(record, new LifeboatError(code, 'Bad file.'));
      expect(record, code).toMatchObject({ passed: false, couldNotRun: false, error: { code } });
    }
  });

  it('a drill stopped after a failed check failed: the error does not make it "could not run"', () => {
    const record = makeRecord({ checks: [check('public.orders', false)] });
    recordFailure(record, new LifeboatError('TOOL_NOT_FOUND', 'No psql.'));
    expect(record).toMatchObject({ passed: false, couldNotRun: false, error: { code: 'TOOL_NOT_FOUND' } });
  });

  it('a failed restore is a failed check; it could not run when the reason is not the file\'s', () => {
    for (const code of COULD_NOT_RUN_CODES) {
      const record = makeRecord();
      recordRestoreFailure(record, new LifeboatError(code, `Stopped: ${code}.`));
      expect(record.couldNotRun, code).toBe(true);
      expect(record.checks).toEqual([restoreFailedCheck(`Stopped: ${code}.`)]);
      // …and the drill's own catch then keeps it so.
      recordFailure(record, new LifeboatError(code, `Stopped: ${code}.`));
      expect(record.couldNotRun, code).toBe(true);
    }
    for (const code of ['RESTORE_FAILED', 'PREFLIGHT_BLOCKED', 'DISK_FULL', 'NOT_AN_ARCHIVE'] as const) {
      const record = makeRecord();
      recordRestoreFailure(record, new LifeboatError(code, 'Failed.'));
      recordFailure(record, new LifeboatError(code, 'Failed.'));
      expect(record, code).toMatchObject({ couldNotRun: false, passed: false, checks: [{ kind: 'restore', actual: 'Failed.', passed: false }] });
    }
  });

  it('the last progress phase names the verdict', () => {
    expect(verdictPhase(makeRecord({ passed: true }))).toBe('Passed');
    expect(verdictPhase(makeRecord({ passed: false, couldNotRun: true }))).toBe('Could not run');
    expect(verdictPhase(makeRecord({ passed: false }))).toBe('Failed');
  });
});

describe('the drill history files', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-drill-history-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('an absent history is empty', async () => {
    expect(await readDrillHistory(dataDir)).toEqual([]);
    expect(await readDrillHistory(path.join(dataDir, 'no-such-folder'), { profile: 'Shop' })).toEqual([]);
  });

  it('appends one JSON line per drill, private to its owner, and reads them back newest first', async () => {
    const first = makeRecord({ id: 'one', passed: true });
    const second = makeRecord({ id: 'two', archive: { path: '/elsewhere/other.lifeboat', name: 'other.lifeboat', sha256: 'ab' }, source: { ...first.source, profile: 'Other' } });
    const third = makeRecord({ id: 'three', checks: [check('public.orders', false)] });
    await appendDrillHistory(dataDir, first);
    await appendDrillHistory(dataDir, second);
    await appendFile(path.join(dataDir, DRILL_HISTORY_FILE), 'not json\n\n');
    await appendDrillHistory(dataDir, third);

    const file = path.join(dataDir, DRILL_HISTORY_FILE);
    expect(await readFile(file, 'utf8')).toBe(`${JSON.stringify(first)}\n${JSON.stringify(second)}\nnot json\n\n${JSON.stringify(third)}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    expect(await readDrillHistory(dataDir)).toEqual([third, second, first]);
    expect((await readDrillHistory(dataDir, { archive: '/elsewhere/other.lifeboat' })).map((r) => r.id)).toEqual(['two']);
    expect((await readDrillHistory(dataDir, { archive: 'shop_shop_20250101T000000Z.lifeboat' })).map((r) => r.id)).toEqual(['three', 'one']);
    expect((await readDrillHistory(dataDir, { profile: 'SHOP' })).map((r) => r.id)).toEqual(['three', 'one']);
    expect((await readDrillHistory(dataDir, { archive: 'other.lifeboat', profile: 'shop' })).map((r) => r.id)).toEqual([]);
    expect(await readDrillHistory(dataDir, { archive: 'nothing' })).toEqual([]);
  });

  it('parses lines and filters without touching the disk', () => {
    const record = makeRecord();
    expect(parseDrillHistory(`${JSON.stringify(record)}\n{broken\n`)).toEqual([record]);
    expect(parseDrillHistory('')).toEqual([]);
    expect(matchesDrillFilter(record, {})).toBe(true);
    expect(matchesDrillFilter(record, { profile: 'shop' })).toBe(true);
    expect(matchesDrillFilter(makeRecord({ source: { ...record.source, profile: null } }), { profile: 'shop' })).toBe(false);
    expect(matchesDrillFilter(record, { archive: record.archive.path })).toBe(true);
    expect(matchesDrillFilter(record, { archive: 'shop' })).toBe(false);
  });

  it('stores each drill\'s report under its id, in a private folder, and accepts only a drill id as a name', async () => {
    const record = makeRecord({ passed: true });
    await storeDrillReport(dataDir, record);
    const file = drillReportPath(dataDir, record.id);
    expect(file).toBe(path.join(dataDir, 'drill-reports', `${record.id}.html`));
    expect(await readFile(file, 'utf8')).toBe(renderDrillReport(record));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    for (const bad of ['', '../drills', 'a/b', 'x.html', 'a b']) {
      expect(() => drillReportPath(dataDir, bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: 'That is not a drill id.' }));
    }
  });

  it('the drill service reads the same history and finds the same reports', async () => {
    const service = new DrillService({ dataDir } as DrillDeps);
    await appendDrillHistory(dataDir, makeRecord({ id: 'a' }));
    await appendDrillHistory(dataDir, makeRecord({ id: 'b', source: { ...makeRecord().source, profile: 'Other' } }));
    expect((await service.history()).map((r) => r.id)).toEqual(['b', 'a']);
    expect((await service.history({ profile: 'other' })).map((r) => r.id)).toEqual(['b']);
    expect(service.reportPath('a')).toBe(drillReportPath(dataDir, 'a'));
    expect(() => service.reportPath('../a')).toThrow(LifeboatError);
  });
});
