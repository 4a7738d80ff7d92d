// What a restore reads before anything runs. Whether an archive is this Lifeboat's own decides how its
// statements run (restore-checklist.ts runsTrusted), so a file that cannot show it is read whole first:
// decrypted, every checksum and the authenticity tag checked (restore-inspect.ts). An archive written
// to this Lifeboat's key can show it more cheaply: its sidecar's file tag (archive-authenticity.ts)
// vouches for the file's sha256, made with the keychain's key. Then hashing the file (no decryption)
// and reading up to the dump's table of contents tell the checklist all it needs; the checksums inside
// are verified while the archive restores, as in a drill, and a restore that fails is undone. Only a
// file of this user's that no one else may write counts (restore-source.ts sha256OfOwnFile). The
// restore reads the file by the identity checked here (assertSameFile: replaced or written to since,
// it is refused), and a direct restore compares the bytes it read with the vouched-for sha256 before
// it commits (restore-direct.ts).
import { fileTagVerifies } from '../archive/archive-authenticity.ts';
import { SIDECAR_SUFFIX, type FileTag } from '../archive/archive-format.ts';
import { readSidecarFile } from '../archive/sidecar-file.ts';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { recipientOf } from '../crypto/age-keys.ts';
import type { PgTool } from '../types.ts';
import type { Inspection } from './inspection.ts';
import { inspectFile } from './restore-inspect.ts';
import { fileIdentity, sha256OfOwnFile } from './restore-source.ts';

/** `trusted`: the keychain's own keys, never keys handed over with the file. */
export async function inspectForRestore(file: string, keys: AgeKeys, pgRestoreFor: (dumpMajor: number | null) => Promise<PgTool>, trusted: AgeKeys, signal?: AbortSignal): Promise<Inspection> {
  const whole = () => inspectFile(file, keys, pgRestoreFor, signal, { trusted });
  const tag = await ownFileTag(file, trusted);
  const identity = tag ? await fileIdentity(file) : null;
  if (!tag || !identity) return whole();
  // The hash stops with the quick read when that fails (a file that is not an archive at all).
  const hashing = new AbortController();
  const stop = () => hashing.abort();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const [quick, digest] = await Promise.all([
      inspectFile(file, keys, pgRestoreFor, signal, { quick: true, trusted }).catch((error: unknown) => {
        stop();
        throw error;
      }),
      sha256OfOwnFile(file, identity, hashing.signal),
    ]);
    // Read whole anyway (an archive smaller than its table of contents' reach): nothing to add.
    if (!quick.quick) return quick;
    const known = !quick.problem && quick.lifeboat && quick.fileIdentity === identity && digest !== null && fileTagVerifies(tag, digest, trusted);
    // The vouched-for sha256 goes along: the restore compares the bytes it reads with it before it commits.
    return known ? { ...quick, lifeboat: { ...quick.lifeboat!, authenticity: 'own-key' }, fileSha256: digest.sha256 } : whole();
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** The sidecar's file tag when it names one of the keychain's keys (a colleague's Lifeboat tags with theirs: no use hashing for it). */
async function ownFileTag(file: string, trusted: AgeKeys): Promise<FileTag | null> {
  const read = await readSidecarFile(`${file}${SIDECAR_SUFFIX}`);
  const tag = read.kind === 'ok' ? read.sidecar.fileTag : undefined;
  if (!tag) return null;
  const own = (trusted.identities ?? []).some((identity) => {
    try {
      return recipientOf(identity) === tag.recipient;
    } catch {
      return false; // not an X25519 identity
    }
  });
  return own ? tag : null;
}
