// A file's sha256, streamed in 1 MiB reads (an archive can be larger than memory), with progress
// and cancellation.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { openUserFile } from './user-file.ts';

/** Refuses anything but a plain file (see user-file.ts): a pipe or device would never end. */
export async function sha256File(file: string, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<string> {
  const { handle } = await openUserFile(file);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream('', { fd: handle, highWaterMark: 1 << 20, signal })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onBytes?.(bytes);
  }
  return hash.digest('hex');
}
