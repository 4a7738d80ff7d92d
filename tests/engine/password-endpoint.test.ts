// A saved password belongs to the server it was given for (host, port, user). Moving a connection to
// another server forgets it unless the user keeps it for the new one, so "Test" never sends it to a
// host it was not saved for. The other end here is a real TCP server speaking PostgreSQL's protocol
// far enough to ask for the password in clear text, as a hostile server would.
import net from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../main/engine/index.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';

let fixture: EngineFixture;
let server: net.Server;
let port: number;
/** Every password message the listening server received. */
const received: string[] = [];

/** Reads the startup packet, asks for a clear-text password (AuthenticationCleartextPassword), records the answer, then closes. */
function passwordCatcher(socket: net.Socket): void {
  let buffer = Buffer.alloc(0);
  let started = false;
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!started && buffer.length >= 8) {
      const length = buffer.readUInt32BE(0);
      if (buffer.length < length) return;
      const code = buffer.readUInt32BE(4);
      buffer = buffer.subarray(length);
      if (code === 80877103) return void socket.write('N'); // SSLRequest: no TLS here
      started = true;
      socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // 'R', length 8, cleartext password
      return;
    }
    if (started && buffer.length >= 5 && buffer[0] === 0x70) {
      const length = buffer.readUInt32BE(1);
      received.push(buffer.subarray(5, 1 + length).toString('utf8').replace(/\0$/, ''));
      socket.destroy();
    }
  });
  socket.on('error', () => {});
}

beforeAll(async () => {
  fixture = await createTestEngine({ secrets: new SessionSecretStore('password endpoint test') });
  server = net.createServer(passwordCatcher);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await fixture?.dispose();
  await new Promise((resolve) => server?.close(resolve));
});

const input = { name: 'prod', host: 'db.invalid', port: 5432, database: 'app', user: 'app', sslmode: 'disable' as const, color: 'red' as const };

describe('a saved password and the server it belongs to', () => {
  it('moving the connection to another server forgets it: Test sends nothing there', async () => {
    const { profiles } = fixture.engine;
    const saved = await profiles.add({ ...input, password: 'Saved-for-db-invalid' });
    received.length = 0;
    await profiles.update(saved.id, { ...input, host: '127.0.0.1', port });
    const tested = await profiles.test(saved.id);
    expect(tested.ok).toBe(false);
    // With no password to give, the client answers with an empty one.
    expect(received).toEqual(['']);
  });

  it('kept for the new server only when the user says so (and then it is sent: the catcher works)', async () => {
    const { profiles } = fixture.engine;
    const saved = await profiles.add({ ...input, name: 'kept', password: 'Kept-on-purpose' });
    received.length = 0;
    await profiles.update(saved.id, { ...input, name: 'kept', host: '127.0.0.1', port, keepPasswordForNewServer: true });
    await profiles.test(saved.id);
    expect(received).toEqual(['Kept-on-purpose']);
  });

  it('profiles.json changed behind Lifeboat\'s back (another host) does not redirect the password', async () => {
    const { profiles } = fixture.engine;
    const saved = await profiles.add({ ...input, name: 'edited', password: 'Not-for-you' });
    const file = path.join(fixture.dataDir, 'profiles.json');
    const data = JSON.parse(await readFile(file, 'utf8')) as { profiles: { id: string; host: string; port: number }[] };
    Object.assign(data.profiles.find((p) => p.id === saved.id)!, { host: '127.0.0.1', port });
    await writeFile(file, JSON.stringify(data));
    received.length = 0;
    // A fresh engine reads the edited file (as the app or the CLI would at their next start).
    const fresh = await createEngine({ dataDir: fixture.dataDir, secrets: fixture.engine.secrets });
    expect((await fresh.profiles.get(saved.id)).passwordStorage).toBe('none');
    await fresh.profiles.test(saved.id);
    expect(received).toEqual(['']);
  });

  it('a duplicate keeps the password for the same server', async () => {
    const { profiles } = fixture.engine;
    const saved = await profiles.add({ ...input, name: 'twin', password: 'Twin-pw' });
    const copy = await profiles.duplicate(saved.id);
    expect((await profiles.resolveForConnection(copy.id)).password).toBe('Twin-pw');
  });
});
