// The keychain store against the real Secret Service: it keeps one entry object per account (making
// one costs ~8 ms), and still asks the keychain on every call — a password another process changed
// or deleted (here: a second store, with entries of its own) is seen at once.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openSecretStore } from '../../main/engine/secrets/keychain-store.ts';

describe('KeychainSecretStore', () => {
  const service = `Lifeboat test ${randomBytes(6).toString('hex')}`;
  const cleanUp: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanUp) await step();
  });

  it('reads what another process wrote or deleted since, with the entries it keeps', async () => {
    const [mine, other] = [await openSecretStore(service), await openSecretStore(service)];
    // npm test provides a keychain session; without one there is nothing to test here.
    if (mine.storage !== 'keychain') return expect(process.env.LIFEBOAT_EXPECT_KEYCHAIN).not.toBe('1');
    cleanUp.push(() => other.delete('account'));
    await mine.set('account', 'first');
    expect(await mine.get('account')).toBe('first');
    await other.set('account', 'second');
    expect(await mine.get('account')).toBe('second');
    await other.delete('account');
    expect(await mine.get('account')).toBeNull();
    await mine.set('account', 'third');
    expect(await other.get('account')).toBe('third');
    // Accounts stay apart.
    expect(await mine.get('another account')).toBeNull();
  });
});
