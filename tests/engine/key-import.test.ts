// Importing a recovery key (the new-computer case), through the engine and through the IPC handler
// the Settings screen calls: the file must come from the open dialog, a different key is replaced
// only after a yes in main (and kept, so the backups it made still open), the key never goes back to
// the page, and files that are not one key are refused with a reason.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateAgeKeyPair, recoveryKeyFileText, type AgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { MAX_KEY_FILE_BYTES } from '../../main/engine/keys/key-file.ts';
import type { SecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createDispatcher, createHandlers } from '../../main/ipc/handlers.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { testShell } from '../support/test-shell.ts';

/** The OS keychain's behaviour, in memory: what the key service sees of a real one. */
class MemoryKeychain implements SecretStore {
  readonly storage = 'keychain' as const;
  readonly secrets = new Map<string, string>();
  status() {
    return { available: true, message: 'test keychain' };
  }
  async get(account: string) {
    return this.secrets.get(account) ?? null;
  }
  async set(account: string, secret: string) {
    this.secrets.set(account, secret);
  }
  async delete(account: string) {
    this.secrets.delete(account);
  }
}

/** An age identity itself (the words "AGE-SECRET-KEY-1" alone, in a fix, are no secret). */
const SECRET_KEY = /AGE-SECRET-KEY-1[0-9A-Z]{20,}/;

let dir: string;
let keychain: MemoryKeychain;
let fixture: EngineFixture;
const t = testShell();
t.answer(true);
let dispatch: ReturnType<typeof createDispatcher>;

const keyFile = async (name: string, pair: AgeKeyPair): Promise<string> => {
  const file = path.join(dir, name);
  await writeFile(file, recoveryKeyFileText(pair, new Date('2026-01-02T03:04:05Z')), { mode: 0o600 });
  return file;
};
const choose = async (file: string) => {
  t.choose(file);
  expect(await dispatch('dialog:choose-file', ['Import a recovery key', []])).toEqual({ ok: true, value: file });
  t.choose(null);
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-key-import-'));
});
beforeEach(async () => {
  await fixture?.dispose();
  keychain = new MemoryKeychain();
  fixture = await createTestEngine({ secrets: keychain });
  t.asked.length = 0;
  t.answer(true);
  dispatch = createDispatcher(createHandlers(fixture.engine, t.shell));
});
afterAll(async () => {
  await fixture?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('keys:import-recovery (Settings → Import a recovery key…)', () => {
  it('a key file no dialog returned is refused before it is read; a chosen one becomes the key after the question in main', async () => {
    const mine = generateAgeKeyPair();
    const file = await keyFile('lifeboat-recovery-key.txt', mine);
    expect(await dispatch('keys:import-recovery', [file])).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('was not chosen in an open dialog') } });
    expect(keychain.secrets.size).toBe(0);
    expect(t.asked).toEqual([]);

    await choose(file);
    const result = await dispatch('keys:import-recovery', [file]);
    expect(result).toMatchObject({ ok: true, value: { recipient: mine.recipient, replaced: null, unchanged: false, status: { recipient: mine.recipient, previousRecipients: [] } } });
    expect(t.asked).toEqual([expect.stringMatching(new RegExp(`^Use this key as Lifeboat’s key\\? New backups will be encrypted to ${mine.recipient} from the file lifeboat-recovery-key\\.txt: whoever has that file can read them\\..*\\[Use this key\\]$`))]);
    // The page gets public recipients only; the key is in the keychain.
    expect(JSON.stringify(result)).not.toMatch(SECRET_KEY);
    expect(keychain.secrets.get('age-identity')).toBe(mine.identity);
    expect((await fixture.engine.keys.status()).recipient).toBe(mine.recipient);

    // The same file again: nothing changes, nothing is asked.
    expect(await dispatch('keys:import-recovery', [file])).toMatchObject({ ok: true, value: { unchanged: true, replaced: null } });
    expect(t.asked).toHaveLength(1);
  });

  it('a different key is replaced only after a yes in main, and the replaced key still opens the backups it made', async () => {
    const created = (await fixture.engine.keys.ensureIdentity()).recipient;
    const oldIdentity = keychain.secrets.get('age-identity')!;
    const mine = generateAgeKeyPair();
    const file = await keyFile('from-the-old-laptop.txt', mine);
    await choose(file);

    t.answer(false);
    expect(await dispatch('keys:import-recovery', [file])).toMatchObject({ ok: false, error: { code: 'CANCELLED', message: 'The key was not imported.' } });
    expect(t.asked).toEqual([expect.stringContaining(`Replace Lifeboat’s key? New backups will be encrypted to ${mine.recipient} from the file from-the-old-laptop.txt instead of ${created}`)]);
    expect(keychain.secrets.get('age-identity')).toBe(oldIdentity);

    t.answer(true);
    const result = await dispatch('keys:import-recovery', [file]);
    expect(result).toMatchObject({ ok: true, value: { recipient: mine.recipient, replaced: created, unchanged: false, status: { recipient: mine.recipient, previousRecipients: [created] } } });
    expect(JSON.stringify(result)).not.toMatch(SECRET_KEY);
    const keys = await fixture.engine.keys.decryptionKeys();
    expect(keys.identities).toEqual([mine.identity, oldIdentity]);
    expect((await fixture.engine.keys.ownKeys()).identities).toEqual([mine.identity, oldIdentity]);
    // New backups go to the imported key.
    expect((await fixture.engine.keys.resolveEncryption({ kind: 'settings' })).recipients[0]).toBe(mine.recipient);

    // Back to the first key: it becomes current again and is not listed twice.
    const back = await keyFile('back.txt', { identity: oldIdentity, recipient: created });
    await choose(back);
    expect(await dispatch('keys:import-recovery', [back])).toMatchObject({ ok: true, value: { recipient: created, replaced: mine.recipient, status: { previousRecipients: [mine.recipient] } } });
  });

  it('the exported recovery file carries the earlier keys, and importing it on a new computer keeps them', async () => {
    const first = (await fixture.engine.keys.ensureIdentity()).recipient;
    const firstIdentity = keychain.secrets.get('age-identity')!;
    const mine = generateAgeKeyPair();
    const file = await keyFile('old-laptop.txt', mine);
    await choose(file);
    await dispatch('keys:import-recovery', [file]);
    const exported = path.join(dir, `exported-${Date.now()}.txt`);
    await fixture.engine.keys.exportRecoveryKey(exported);
    const text = await readFile(exported, 'utf8');
    expect(text.indexOf(mine.identity)).toBeGreaterThan(-1);
    expect(text.indexOf(firstIdentity)).toBeGreaterThan(text.indexOf(mine.identity));
    expect(text).toContain(`# earlier key (opens the backups made before the key above), public key: ${first}`);

    // A new computer (a fresh keychain) with a key of its own already: the import keeps both earlier ones.
    await fixture.dispose();
    keychain = new MemoryKeychain();
    fixture = await createTestEngine({ secrets: keychain });
    const fresh = (await fixture.engine.keys.ensureIdentity()).recipient;
    expect(await fixture.engine.keys.importIdentity(exported, { confirm: async () => true })).toMatchObject({ recipient: mine.recipient, replaced: fresh });
    expect((await fixture.engine.keys.status()).previousRecipients).toEqual([fresh, first]);
  });

  it('refuses what is not one X25519 key, saying what to choose instead', async () => {
    const many = path.join(dir, 'many-keys.txt');
    await writeFile(many, Array.from({ length: 22 }, () => generateAgeKeyPair().identity).join('\n'));
    const none = path.join(dir, 'notes.txt');
    await writeFile(none, '# nothing here\n');
    const other = path.join(dir, 'id_ed25519');
    await writeFile(other, '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n');
    const huge = path.join(dir, 'huge.txt');
    await writeFile(huge, `# ${'x'.repeat(MAX_KEY_FILE_BYTES)}\n${generateAgeKeyPair().identity}\n`);
    const cases: [string, RegExp][] = [
      [many, /holds 22 age identities; a recovery key file holds the key and at most 20 earlier ones/],
      [none, /holds no age identity/],
      [other, /contains a line that is not an age identity/],
      [huge, /too big to be an age key file/],
      [dir, /is a folder, not a plain file/],
    ];
    for (const [file, message] of cases) {
      await choose(file);
      const result = await dispatch('keys:import-recovery', [file]);
      expect(result, file).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringMatching(message), fix: expect.any(String) } });
      expect(JSON.stringify(result)).not.toMatch(SECRET_KEY);
    }
    expect(keychain.secrets.size).toBe(0);
    expect(t.asked).toEqual([]);
  });
});

describe('KeyService.importIdentity (the CLI\'s lifeboat key import)', () => {
  it('imports into an empty keychain without asking, and refuses to replace a different key unless confirmed (--yes)', async () => {
    const { keys } = fixture.engine;
    const first = generateAgeKeyPair();
    expect(await keys.importIdentity(await keyFile('first.txt', first))).toMatchObject({ recipient: first.recipient, replaced: null, unchanged: false });
    const second = generateAgeKeyPair();
    const file = await keyFile('second.txt', second);
    await expect(keys.importIdentity(file)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(`Lifeboat already has a different key (${first.recipient})`), fix: expect.stringContaining('--yes') });
    expect((await keys.status()).recipient).toBe(first.recipient);
    expect(await keys.importIdentity(file, { confirm: async () => true })).toMatchObject({ recipient: second.recipient, replaced: first.recipient });
  });

  it('past the 20 earlier keys Lifeboat keeps, the question names the key that would go, and the result names the one that went', async () => {
    const pairs = Array.from({ length: 22 }, () => generateAgeKeyPair());
    const questions: string[][] = [];
    for (const [i, pair] of pairs.entries()) {
      const result = await fixture.engine.keys.importIdentity(await keyFile(`k${i}.txt`, pair), { confirm: async ({ forgets }) => (questions.push(forgets), true) });
      expect(result.forgotten, `import ${i + 1}`).toEqual(i === 21 ? [pairs[0]!.recipient] : []);
    }
    expect(questions.at(-1)).toEqual([pairs[0]!.recipient]);
    expect(questions.slice(0, -1).every((q) => q.length === 0)).toBe(true);
    expect((await fixture.engine.keys.status()).previousRecipients).toHaveLength(20);
    // Through the app the question in main says it before anything changes.
    const next = generateAgeKeyPair();
    const file = await keyFile('k22.txt', next);
    await choose(file);
    t.answer(false);
    await dispatch('keys:import-recovery', [file]);
    expect(t.asked.at(-1)).toContain(`${pairs[1]!.recipient} would not be kept`);
  });

  it('a key created while the user was being asked (a first backup) is not dropped: the import is refused, to be decided again', async () => {
    const { keys } = fixture.engine;
    const mine = generateAgeKeyPair();
    let created = '';
    const refused = keys.importIdentity(await keyFile('mine.txt', mine), {
      confirm: async ({ current }) => {
        expect(current).toBeNull();
        // A scheduled backup starts while the question is open, and creates Lifeboat's key.
        created = (await keys.ensureIdentity()).recipient;
        return true;
      },
    });
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("Lifeboat's key changed while you were asked") });
    expect((await keys.status()).recipient).toBe(created);
  });

  it('refuses without an OS keychain: a key kept for one session would be gone at the next start', async () => {
    const { SessionSecretStore } = await import('../../main/engine/secrets/secret-store.ts');
    const session = await createTestEngine({ secrets: new SessionSecretStore('no keychain in this test') });
    try {
      await expect(session.engine.keys.importIdentity(await keyFile('k.txt', generateAgeKeyPair()))).rejects.toMatchObject({ code: 'NO_KEY', message: expect.stringContaining('no OS keychain is available') });
    } finally {
      await session.dispose();
    }
  });
});
