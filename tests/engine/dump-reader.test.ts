// The archive worker's dump input (main/engine/archive/dump-reader.ts): what pg_dump wrote before the
// archive's first entries is kept and handed over first — unless the archive was stopped meanwhile
// (a cancel while a passphrase's key is still derived): then nothing is handed over, so no byte can
// reach a file that was closed.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { readDump, type DumpSource } from '../../main/engine/archive/dump-reader.ts';

/** A real socket pair over loopback TCP, read as a DumpSource like the worker's socket. */
async function socketSource(): Promise<{ source: DumpSource; writer: net.Socket; delivered: { bytes: number }; close: () => void }> {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const writer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const reader = await accepted;
  server.close();
  const delivered = { bytes: 0 };
  const source: DumpSource = {
    start(onChunk, onEnd) {
      const counted = (chunk: Buffer) => {
        delivered.bytes += chunk.length;
        onChunk(chunk);
      };
      reader.on('data', counted).once('end', () => onEnd(null)).once('error', onEnd);
      reader.resume();
    },
    pause: () => reader.pause(),
    resume: () => reader.resume(),
    stop: () => reader.destroy(),
  };
  return { source, writer, delivered, close: () => (writer.destroy(), reader.destroy()) };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('the dump reader', () => {
  it('hands over what came before the first entries, then the rest', async () => {
    const { source, writer, close } = await socketSource();
    try {
      const reader = readDump(source);
      writer.write(Buffer.from('early '));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const got: Buffer[] = [];
      const consumed = reader.consume((chunk) => got.push(Buffer.from(chunk)));
      writer.end(Buffer.from('late'));
      await consumed;
      expect(Buffer.concat(got).toString()).toBe('early late');
    } finally {
      close();
    }
  });

  it('hands over nothing once stopped, not even what came early', async () => {
    const { source, writer, delivered, close } = await socketSource();
    try {
      const reader = readDump(source);
      writer.write(Buffer.alloc(4096, 1));
      // Read and kept before anyone consumes: the archive's entries are not there yet.
      await until(() => delivered.bytes === 4096);
      expect(delivered.bytes).toBe(4096);
      reader.stop();
      let handed = 0;
      await expect(reader.consume((chunk) => (handed += chunk.length))).rejects.toThrow('stopped');
      expect(handed).toBe(0);
    } finally {
      close();
    }
  });
});
