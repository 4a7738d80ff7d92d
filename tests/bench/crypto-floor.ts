// The work a backup cannot skip, timed in this process: pg_dump's output hashed (checksums.json),
// sealed into age's 64 KiB ChaCha20-Poly1305 chunks, the archive hashed again (the sidecar) and
// written to a file — with the engine's own AgeWriter and node:crypto, as the archive's worker thread
// does it. The bench prints it beside the backup's Node CPU per GB, so that figure is read against
// what is possible on this machine.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { AgeWriter } from '../../main/engine/crypto/age-encrypt.ts';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { median } from './bench-format.ts';

export interface CryptoFloor {
  /** CPU seconds per 1e9 bytes of dump for the two SHA-256 passes, the sealing and the write together. */
  sPerGb: number;
  sha256MBps: number;
  sealMBps: number;
  /** write(2) into the page cache (the kernel's copy), in 1 MiB calls. */
  writeMBps: number;
}

const PIECE = 1024 * 1024;
const TOTAL = 256 * PIECE;

function cpuSeconds(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** One pass over TOTAL bytes of random data (incompressible, like a compressed dump) each; the median of `runs`. The file goes in `folder`. */
export function measureCryptoFloor(folder: string, runs = 3): CryptoFloor {
  const piece = randomBytes(PIECE);
  const recipient = generateAgeKeyPair().recipient;
  const hashS: number[] = [];
  const sealS: number[] = [];
  const writeS: number[] = [];
  for (let run = 0; run < runs; run++) {
    hashS.push(cpuSeconds(() => {
      const hash = createHash('sha256');
      for (let done = 0; done < TOTAL; done += PIECE) hash.update(piece);
      hash.digest();
    }));
    sealS.push(cpuSeconds(() => {
      const writer = new AgeWriter({ recipients: [recipient] });
      let sealed = 0;
      const emit = (out: Buffer) => void (sealed += out.length);
      for (let done = 0; done < TOTAL; done += PIECE) writer.write(piece, emit);
      writer.end(emit);
    }));
    writeS.push(writeSeconds(path.join(folder, `crypto-floor-${process.pid}.bin`), piece));
  }
  const perByte = (seconds: number) => seconds / TOTAL;
  const hash = perByte(median(hashS));
  const seal = perByte(median(sealS));
  const write = perByte(median(writeS));
  return { sPerGb: (2 * hash + seal + write) * 1e9, sha256MBps: 1 / hash / 1e6, sealMBps: 1 / seal / 1e6, writeMBps: 1 / write / 1e6 };
}

function writeSeconds(file: string, piece: Buffer): number {
  const fd = openSync(file, 'w', 0o600);
  try {
    return cpuSeconds(() => {
      for (let done = 0; done < TOTAL; done += PIECE) writeSync(fd, piece);
    });
  } finally {
    closeSync(fd);
    unlinkSync(file);
  }
}
