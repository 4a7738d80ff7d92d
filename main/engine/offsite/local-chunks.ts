// Reading the local archive for an upload, the same way for every kind of store: in fixed-size
// chunks at known offsets, and the one verdict when the bytes read are not the archive the sidecar
// describes (then nothing is published).
import type { FileHandle } from 'node:fs/promises';
import { LifeboatError } from '../errors.ts';
import type { CopyRecord } from './copy-records.ts';

/** `length` bytes at `position` into `buffer`; a file that ends sooner changed since its sidecar was written. */
export async function readExactly(handle: FileHandle, buffer: Buffer, length: number, position: number, file: string): Promise<Buffer> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new LifeboatError('COPY_NOT_VERIFIED', `${file} is shorter than its sidecar says: it changed or was cut short.`, 'Verify the local archive (lifeboat verify FILE); if it is damaged, copy another backup.');
    filled += bytesRead;
  }
  return buffer.subarray(0, length);
}

/** The bytes read for the upload hash to `digest`, not to the SHA-256 the sidecar names. */
export function notTheArchive(record: CopyRecord, digest: string): LifeboatError {
  return new LifeboatError('COPY_NOT_VERIFIED', `${record.archivePath} is not the archive its sidecar describes (SHA-256 ${digest.slice(0, 16)}…, the sidecar says ${record.sha256.slice(0, 16)}…): the copy was not completed.`, 'Verify the local archive (lifeboat verify FILE); if it is damaged, copy another backup.');
}
