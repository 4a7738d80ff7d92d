// The app's "Try Lifeboat with a demo database": a persistent embedded server with a saved profile.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createTestEngine } from '../support/engine-fixture.ts';

it('creates the demo once, survives a restart with a new password, backs up, and is removed cleanly', async () => {
  const fixture = await createTestEngine();
  const out = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-demo-backups-'));
  try {
    const { demo, profiles, backups } = fixture.engine;
    expect(await demo.status()).toMatchObject({ exists: false, running: false, profile: null });
    const first = await demo.start();
    const firstPassword = (await profiles.resolveForConnection(first.id)).password;
    expect((await profiles.test(first.id)).ok).toBe(true);
    await demo.stop();
    const second = await demo.start();
    expect(second.id).toBe(first.id);
    expect((await profiles.resolveForConnection(second.id)).password).not.toBe(firstPassword);
    const test = await profiles.test(second.id);
    expect(test).toMatchObject({ ok: true, report: { database: 'shop_demo', serverMajor: 18 } });
    const key = generateAgeKeyPair();
    const backup = await backups.start({ profile: second.id, outDir: out, encryption: { kind: 'recipients', recipients: [key.recipient] } }).result;
    expect(backup.totalRows).toBeGreaterThan(50_000);
    expect(backup.sidecar.profile).toBe('Demo shop (local)');
    await demo.remove();
    expect(await demo.status()).toMatchObject({ exists: false, running: false, profile: null });
  } finally {
    await fixture.engine.demo.remove().catch(() => {});
    await fixture.dispose();
    await rm(out, { recursive: true, force: true });
  }
}, 120_000);
