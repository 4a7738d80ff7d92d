import { describe, expect, it } from 'vitest';
import { connectProfile } from '../../main/engine/db/pg-connect.ts';
import { startEmbeddedPostgres } from '../../main/engine/scratch/embedded-postgres.ts';

describe("a drill's scratch server", () => {
  it('is a throwaway: no durability, no WAL beyond crash recovery, no autovacuum, index builds in memory', async () => {
    const server = await startEmbeddedPostgres();
    try {
      const { client } = await connectProfile(server.profile, server.password);
      try {
        const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>(
          "SELECT name, setting, unit FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'autovacuum', 'max_wal_size', 'maintenance_work_mem', 'listen_addresses')",
        );
        const settings = Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]));
        expect(settings).toEqual({
          fsync: 'off',
          synchronous_commit: 'off',
          full_page_writes: 'off',
          wal_level: 'minimal',
          autovacuum: 'off',
          max_wal_size: '2048 MB',
          maintenance_work_mem: '262144 kB',
          listen_addresses: '127.0.0.1',
        });
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
  }, 60_000);
});
