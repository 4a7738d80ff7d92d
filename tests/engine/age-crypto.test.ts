// Lifeboat's age v1 implementation against the C2SP test vectors (npm cctv-age), the real `age` CLI,
// and both ChaCha20-Poly1305 backends (node:crypto for Node, @noble/ciphers where Electron lacks it).
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import * as vectors from 'cctv-age';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AEADS, type Aead } from '../../main/engine/crypto/aead.ts';
import { openAge } from '../../main/engine/crypto/age-decrypt.ts';
import { createAgeEncryptStream, type AgeEncryption } from '../../main/engine/crypto/age-encrypt.ts';
import { generateAgeKeyPair, recipientOf } from '../../main/engine/crypto/age-keys.ts';

const run = promisify(execFile);

interface Vector {
  name: string;
  expect: string;
  payload?: string;
  identities: string[];
  passphrases: string[];
  body: Uint8Array;
}

function parseVector(name: string, bytes: Uint8Array): Vector {
  const buffer = Buffer.from(bytes);
  const split = buffer.indexOf('\n\n');
  const vector: Vector = { name, expect: '', identities: [], passphrases: [], body: new Uint8Array() };
  let compressed = false;
  for (const line of buffer.subarray(0, split).toString('utf8').split('\n')) {
    const [key, value = ''] = [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)];
    if (key === 'identity') vector.identities.push(value);
    else if (key === 'passphrase') vector.passphrases.push(value);
    else if (key === 'expect') vector.expect = value;
    else if (key === 'payload') vector.payload = value;
    else if (key === 'compressed') compressed = value === 'zlib';
  }
  const body = buffer.subarray(split + 2);
  vector.body = new Uint8Array(compressed ? zlib.inflateSync(body) : body);
  return vector;
}

const VECTORS = Object.entries(vectors as unknown as Record<string, Uint8Array>).map(([name, bytes]) => parseVector(name, bytes));

/** Feeds the file in small pieces so the streaming reader's boundaries are exercised too. */
async function* pieces(bytes: Uint8Array, size = 1000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function outcome(vector: Vector, aead: Aead): Promise<{ stage: 'ok' | 'header' | 'payload'; digest: string }> {
  const hash = crypto.createHash('sha256');
  let stage: 'ok' | 'header' | 'payload' = 'ok';
  try {
    const plaintext = await openAge(pieces(vector.body), { identities: vector.identities, passphrases: vector.passphrases }, aead);
    try {
      for await (const chunk of plaintext) hash.update(chunk);
    } catch {
      stage = 'payload';
    }
  } catch {
    stage = 'header';
  }
  return { stage, digest: hash.digest('hex') };
}

describe.each(Object.values(AEADS).map((aead) => [aead.name, aead] as const))('C2SP age vectors with the %s AEAD', (_name, aead) => {
  it(`passes all ${VECTORS.length} vectors, releasing exactly the reference plaintext`, async () => {
    expect(VECTORS.length).toBe(143);
    const failures: string[] = [];
    for (const vector of VECTORS) {
      const { stage, digest } = await outcome(vector, aead);
      const ok =
        vector.expect === 'success' ? stage === 'ok' && digest === vector.payload
        : vector.expect === 'payload failure' ? stage === 'payload' && digest === vector.payload
        : stage === 'header';
      if (!ok) failures.push(`${vector.name}: expected ${vector.expect}, got ${stage}`);
    }
    expect(failures).toEqual([]);
  });

  it('opener() (the key prepared once) opens what seal() sealed, and nothing altered', () => {
    const key = crypto.randomBytes(32);
    const open = aead.opener(key);
    const nonces = [0, 1, 2].map((i) => Buffer.from([...new Array(11).fill(0), i]));
    const messages = [crypto.randomBytes(64 * 1024), crypto.randomBytes(100), Buffer.alloc(0)];
    const sealed = messages.map((m, i) => aead.seal(key, nonces[i]!, m));
    messages.forEach((m, i) => expect(open(nonces[i]!, sealed[i]!)).toEqual(m));
    // Each message stays bound to its own nonce and key, byte for byte.
    expect(open(nonces[1]!, sealed[0]!)).toBeNull();
    expect(aead.opener(crypto.randomBytes(32))(nonces[0]!, sealed[0]!)).toBeNull();
    const flipped = Buffer.from(sealed[1]!);
    flipped[5]! ^= 1;
    expect(open(nonces[1]!, flipped)).toBeNull();
    expect(open(nonces[0]!, Buffer.alloc(15))).toBeNull();
  });
});

describe('interoperability with the age CLI', () => {
  let dir: string;
  let plaintext: Buffer;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-age-'));
    // > 16 MiB: the STREAM counter crosses a byte boundary (chunk 256), and ends off a chunk boundary.
    plaintext = crypto.randomBytes(17 * 1024 * 1024 + 123);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function encryptToFile(encryption: AgeEncryption, aead: Aead, data: Buffer, file: string): Promise<void> {
    const { createWriteStream } = await import('node:fs');
    await pipeline(Readable.from(chunks(data)), createAgeEncryptStream(encryption, aead), createWriteStream(file));
  }

  it.each(Object.values(AEADS).map((a) => [a.name, a] as const))('age -d -i opens X25519 files written with %s', async (name, aead) => {
    const pair = generateAgeKeyPair();
    const other = generateAgeKeyPair();
    expect(recipientOf(pair.identity)).toBe(pair.recipient);
    const keyFile = path.join(dir, `key-${name}.txt`);
    await writeFile(keyFile, `${pair.identity}\n`, { mode: 0o600 });
    const file = path.join(dir, `x-${name}.age`);
    await encryptToFile({ recipients: [other.recipient, pair.recipient] }, aead, plaintext, file);
    const decrypted = await run('age', ['-d', '-i', keyFile, file], { encoding: 'buffer', maxBuffer: 64 << 20 });
    expect(crypto.createHash('sha256').update(decrypted.stdout).digest('hex')).toBe(crypto.createHash('sha256').update(plaintext).digest('hex'));
  });

  it('a file of exactly one chunk, and an empty file, round-trip through age', async () => {
    const pair = generateAgeKeyPair();
    const keyFile = path.join(dir, 'key-small.txt');
    await writeFile(keyFile, pair.identity);
    for (const size of [0, 64 * 1024, 64 * 1024 * 2]) {
      const data = crypto.randomBytes(size);
      const file = path.join(dir, `size-${size}.age`);
      await encryptToFile({ recipients: [pair.recipient] }, AEADS.node, data, file);
      const { stdout } = await run('age', ['-d', '-i', keyFile, file], { encoding: 'buffer' });
      expect(Buffer.compare(stdout, data), `size ${size}`).toBe(0);
      const back = await collect(await openAge(pieces(await readFile(file), 4096), { identities: [pair.identity] }));
      expect(Buffer.compare(back, data), `size ${size} via openAge`).toBe(0);
    }
  });

  it('passphrase files open with age -d (passphrase typed at a terminal)', async () => {
    const file = path.join(dir, 'pass.age');
    const data = crypto.randomBytes(300_000);
    await encryptToFile({ passphrase: 'correct horse battery staple', scryptLogN: 15 }, AEADS.node, data, file);
    // age reads passphrases only from a terminal: give it one with script(1).
    const out = path.join(dir, 'pass.out');
    await new Promise<void>((resolve, reject) => {
      const child = spawn('script', ['-qec', `age -d -o ${out} ${file}`, '/dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] });
      setTimeout(() => child.stdin.write('correct horse battery staple\n'), 500);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`age exited ${code}`))));
    });
    expect(Buffer.compare(await readFile(out), data)).toBe(0);
    await expect(openAge(pieces(await readFile(file)), { passphrases: ['wrong'] })).rejects.toMatchObject({ code: 'WRONG_KEY' });
  });

  it('opens files the age CLI wrote', async () => {
    const pair = generateAgeKeyPair();
    const file = path.join(dir, 'from-cli.age');
    await writeFile(path.join(dir, 'plain'), plaintext.subarray(0, 200_000));
    await run('age', ['-r', pair.recipient, '-o', file, path.join(dir, 'plain')]);
    const back = await collect(await openAge(pieces(await readFile(file), 65_536), { identities: [pair.identity] }));
    expect(Buffer.compare(back, plaintext.subarray(0, 200_000))).toBe(0);
    await expect(openAge(pieces(await readFile(file)), { identities: [generateAgeKeyPair().identity] })).rejects.toMatchObject({ code: 'WRONG_KEY' });
  });
});

function* chunks(data: Buffer, size = 100_003): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}
