// Restore fault matrix: unless a restore completes, the target is exactly as before (every table's
// checksum and the schema), nothing Lifeboat created is left, no tool keeps running, and the error
// names the cause.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import type { RestoreRequest } from '../../main/engine/restore/restore-service.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { dataFingerprint, schemaText, withStandInOwner } from '../support/pg-tools.ts';
import { databases, engineLeftovers, isolateTmp, restoringPgRestore, settleToolChildren, waitFor } from '../support/restore-fixtures.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';
import { forTier, seededRandom } from './fault-tier.ts';

const key = generateAgeKeyPair();
const keys = { identities: [key.identity] };
const recipients = { kind: 'recipients' as const, recipients: [key.recipient] };

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
/** An archive of `bigdb` (600,000 rows: pg_restore runs for seconds) and of the sample schema. */
const archives = { big: '', shop: '' };

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-restore-faults-');
  fixture = await createTestEngine({ secrets: new SessionSecretStore('restore faults') });
  cluster = await startCluster(18);
  await cluster.createDatabase('bigdb');
  await cluster.query(`CREATE TABLE big (id bigint PRIMARY KEY, payload text);
    INSERT INTO big SELECT i, md5(i::text) || md5((i * 7)::text) || md5((i * 13)::text) FROM generate_series(1, 600000) i;
    CREATE TABLE extra (id int PRIMARY KEY, note text); INSERT INTO extra SELECT i, 'note ' || i FROM generate_series(1, 500) i;`, [], 'bigdb');
  await cluster.createDatabase('shopdb');
  await cluster.query(SAMPLE_SCHEMA_SQL, [], 'shopdb');
  const safetyFolder = path.join(tmp.dir, 'fault-safety-backups');
  await mkdir(safetyFolder);
  await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { color: 'red', backupFolder: safetyFolder }));
  archives.big = (await fixture.engine.backups.start({ profile: 'pg', database: 'bigdb', outDir: path.join(tmp.dir, 'fault-archives', 'big'), encryption: recipients }).result).archive;
  archives.shop = (await fixture.engine.backups.start({ profile: 'pg', database: 'shopdb', outDir: path.join(tmp.dir, 'fault-archives', 'shop'), encryption: recipients }).result).archive;
  // The live database differs from the archive, so a swap that should not happen would show.
  await cluster.query("INSERT INTO extra VALUES (-1, 'written after the backup')", [], 'bigdb');
});
afterAll(async () => {
  await fixture?.dispose();
  await cluster?.stop();
  await tmp?.restore();
});

function restore(request: Omit<RestoreRequest, 'profile' | 'keys'>) {
  return fixture.engine.restores.start({ profile: 'pg', keys, ...request });
}

interface TargetState {
  databases: string[];
  fingerprint: Record<string, string>;
  schema: string;
}

async function targetState(database = 'bigdb'): Promise<TargetState> {
  return { databases: await databases(cluster), fingerprint: await dataFingerprint(cluster, database), schema: await schemaText(cluster, database) };
}

/** Every table's checksum, the schema and the list of databases as before; no tool, no temp file. */
async function expectUnchanged(before: TargetState, what: string, database = 'bigdb'): Promise<void> {
  expect(await targetState(database), `${what}: the target changed`).toEqual(before);
  expect(await settleToolChildren(), `${what}: pg_restore/psql still running`).toEqual([]);
  expect(await engineLeftovers(tmp.dir), `${what}: temporary files left`).toEqual([]);
}

/** Resolves when pg_restore has streamed `mb` MB (or more) into the target. */
async function whenRestoring(job: ReturnType<typeof restore>, mb: number): Promise<void> {
  let streamed = false;
  job.onProgress((p) => {
    if (p.phase === 'Restoring' && p.bytes >= mb * (1 << 20)) streamed = true;
  });
  await waitFor(() => streamed && restoringPgRestore().length === 1, 60_000, `pg_restore streaming ${mb} MB`);
}

async function failure(job: ReturnType<typeof restore>): Promise<{ code: string; message: string; fix?: string }> {
  const error = await job.result.then(() => null, (e: unknown) => e as { code: string; message: string; fix?: string });
  expect(error, 'the restore must fail').not.toBeNull();
  expect(error!.code).not.toBe('INTERNAL');
  expect(error!.message).not.toMatch(/\n\s+at /);
  return error!;
}

describe('restore: pg_restore killed at random points', () => {
  it('into a new database and as a replace: the target as before, the copy dropped, the error names pg_restore', async () => {
    const random = seededRandom(7101);
    const rounds = forTier(2, 6);
    for (let round = 0; round < rounds; round++) {
      const mode = round % 2 === 0 ? 'replace' : 'new';
      const before = await targetState();
      const job = mode === 'replace'
        ? restore({ file: archives.big, mode, database: 'bigdb', confirm: 'bigdb', safetyBackupEncryption: recipients })
        : restore({ file: archives.big, mode, database: `killed_${round}` });
      const mb = Math.round(1 + random() * 20);
      await whenRestoring(job, mb);
      process.kill(restoringPgRestore()[0]!, 'SIGKILL');
      const error = await failure(job);
      expect(error.code).toBe('RESTORE_FAILED');
      expect(error.message).toMatch(/pg_restore/);
      // The replace took a safety backup first: the only new thing, kept on purpose in its folder.
      await expectUnchanged(before, `round ${round} (${mode}, killed after ${mb} MB)`);
    }
  });
});

describe('restore: the server stopped mid-restore', () => {
  for (const [mode, shutdown] of [['new', 'fast'], ['replace', 'immediate']] as const) {
    it(`${mode}, ${shutdown} shutdown: the lost server is named; once it is back the half-restored copy goes and the target is as before`, async () => {
      const before = await targetState();
      const job = mode === 'replace'
        ? restore({ file: archives.big, mode, database: 'bigdb', confirm: 'bigdb', safetyBackupEncryption: recipients })
        : restore({ file: archives.big, mode, database: 'stopped_new' });
      await whenRestoring(job, 5);
      await cluster.shutdown(shutdown);
      let error: { code: string; message: string; fix?: string };
      try {
        error = await failure(job);
        expect(await settleToolChildren(10_000)).toEqual([]);
      } finally {
        await cluster.resume();
      }
      expect(error.code).toBe('RESTORE_FAILED');
      expect(error.message).toMatch(/connection to the server was lost|server.*(stopped|shut ?down|unreachable)/i);
      // Lifeboat could not drop what it created while the server was down: it says which database
      // that is, and removes it at the next restore on this server.
      const created = mode === 'replace' ? /bigdb_restoring_\d{8}T\d{6}Z/ : /stopped_new/;
      expect(`${error.message} ${error.fix ?? ''}`).toMatch(created);
      const next = await restore({ file: archives.shop, mode: 'new', database: `after_stop_${mode}` }).result;
      expect(next.database).toBe(`after_stop_${mode}`);
      await cluster.query(`DROP DATABASE after_stop_${mode}`);
      await expectUnchanged(before, `${mode} after the server came back`);
    });
  }
});

describe('restore: a replace while someone else connects to the target', () => {
  it('a session that appears after the checklist is ended at the swap; its writes are in the kept old database', async () => {
    const before = await targetState();
    const job = restore({ file: archives.big, mode: 'replace', database: 'bigdb', confirm: 'bigdb', safetyBackupEncryption: recipients });
    await whenRestoring(job, 2);
    // A client connects mid-restore (the checklist never saw it) and writes.
    const late = new pg.Client({ host: cluster.host, port: cluster.port, user: 'postgres', password: cluster.password, database: 'bigdb', application_name: 'late-writer' });
    const lateErrors: Error[] = [];
    late.on('error', (e) => lateErrors.push(e));
    await late.connect();
    await late.query("INSERT INTO extra VALUES (-2, 'written during the replace')");
    const result = await job.result;
    expect(result.endedSessions).toBeGreaterThanOrEqual(1);
    expect(result.verification.mismatches).toEqual([]);
    await waitFor(() => lateErrors.length > 0, 5000, 'the late session was ended');
    await late.end().catch(() => {});
    // Nothing lost: the write made during the replace is in the kept copy, the target is the backup.
    const kept = await cluster.query<{ note: string }>('SELECT note FROM extra WHERE id < 0 ORDER BY id', [], result.keptDatabase!);
    expect(kept.map((r) => r.note)).toEqual(['written during the replace', 'written after the backup']);
    expect(await cluster.query('SELECT 1 FROM extra WHERE id < 0', [], 'bigdb')).toEqual([]);
    // The archive is made to a key outside the keychain: a stranger's file, restored with least privilege.
    expect(await schemaText(cluster, 'bigdb')).toEqual(withStandInOwner(before.schema));
    // Put the target back as the other scenarios expect it.
    await cluster.query('DROP DATABASE bigdb');
    await cluster.query(`ALTER DATABASE "${result.keptDatabase}" RENAME TO bigdb`);
    await cluster.query('DELETE FROM extra WHERE id = -2', [], 'bigdb');
    expect(await targetState()).toEqual(before);
  });
});
