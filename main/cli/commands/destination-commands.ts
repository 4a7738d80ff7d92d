// `lifeboat destination …` and `lifeboat copy`: offsite destinations (S3-compatible buckets, SFTP
// folders) of a profile, testing one, copying an archive there, and what a destination holds. An
// SFTP destination's SSH flags and host-key trust are the profile's (profile-commands.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../../engine/index.ts';
import { visibleText } from '../../engine/name-text.ts';
import type { CopyState, DestinationSummary, DestinationTestResult, RemoteArchive, S3Location, SftpLocation } from '../../engine/model/offsite.ts';
import type { Command, Values } from '../cli-command.ts';
import { formatBytes, table, UsageError, type Output } from '../cli-output.ts';
import { runWithProgress } from '../job-progress.ts';
import { passphraseFromEnv } from '../secret-env.ts';
import { parseHop, secretsPerHop, sshFromFlags, trustingHostKeys } from './profile-commands.ts';

export const DESTINATION_COMMANDS: Record<string, Command> = {
  'destination add': {
    usage: 'destination add NAME --profile P (--s3 s3://BUCKET[/PREFIX] --endpoint URL [--region R] [--path-style] --access-key-id ID --secret-key-env VAR [--storage-class C] [--object-lock-days N] [--no-part-checksums] | --sftp sftp://USER@HOST[:PORT]/PATH [--ssh-key FILE | --ssh-agent] [--ssh-password-env VAR] [--ssh-jump USER@HOST[:PORT]]… [--accept-host-key SHA256:…]…) [--bandwidth-limit RATE] [--json]',
    summary: 'copy a profile\'s backups to an S3-compatible bucket or a folder over SFTP too (secret keys and SSH passwords go to the OS keychain)',
    options: ['profile', 's3', 'endpoint', 'region', 'path-style', 'access-key-id', 'secret-key-env', 'storage-class', 'object-lock-days', 'no-part-checksums', 'sftp', 'ssh-key', 'ssh-agent', 'ssh-password-env', 'ssh-jump', 'accept-host-key', 'bandwidth-limit'],
    async run({ engine, out, args, values }) {
      const name = args[0];
      if (!name) throw new UsageError('destination add needs a NAME');
      if (!values.profile) throw new UsageError('destination add needs --profile P (whose backups are copied there)');
      if (values.sftp && values.s3) throw new UsageError('choose one of --s3 and --sftp');
      if (values.sftp) {
        await addSftpDestination(engine, out, name, values);
        return;
      }
      if (!values['secret-key-env']) throw new UsageError('destination add needs --secret-key-env VAR (the variable holding the S3 secret access key)');
      const destination = await engine.destinations.add({ name, profile: values.profile, s3: s3FromFlags(values), secretKey: passphraseFromEnv(values['secret-key-env'], 'the S3 secret access key'), bandwidthLimit: bandwidthFlag(values) });
      if (engine.secrets.storage !== 'keychain') out.note('lifeboat: warning: no OS keychain: the secret key is kept for this session only; copies in later runs will ask for it again.');
      out.result({ destination }, () => `Saved destination "${visibleText(destination.name)}" for profile "${visibleText(destination.profileName)}": ${visibleText(destination.where)}.\nTest it with: lifeboat destination test ${destination.name}`);
    },
  },
  'destination list': {
    usage: 'destination list [--profile P] [--json]',
    summary: 'list offsite destinations',
    options: ['profile'],
    async run({ engine, out, values }) {
      const destinations = await engine.destinations.list(values.profile ? { profile: values.profile } : {});
      out.result({ destinations }, () => (destinations.length === 0 ? 'No destinations yet. Add one with: lifeboat destination add NAME --profile P --s3 s3://BUCKET/PREFIX --endpoint URL --access-key-id ID --secret-key-env VAR (or --sftp sftp://USER@HOST/PATH --ssh-key FILE)' : table([['NAME', 'PROFILE', 'WHERE', 'SECRET'], ...destinations.map((d) => [d.name, d.profileName, d.where, secretColumn(d)])])));
    },
  },
  'destination test': {
    usage: 'destination test NAME [--accept-host-key SHA256:…]… [--json]',
    summary: 'write, read back and delete a small object: proves the credentials and each permission (SFTP: asks before trusting an unknown host key)',
    options: ['accept-host-key'],
    async run({ engine, out, args, values }) {
      const name = requireName(args[0]);
      const result = await testTrustingHostKeys(engine, out, name, values['accept-host-key'] ?? []);
      if (!result.ok) process.exitCode = 1;
      out.result(result, () => describeTest(result));
    },
  },
  'destination remove': {
    usage: 'destination remove NAME [--json]',
    summary: 'forget a destination and its secrets (nothing in the bucket or folder is deleted)',
    options: [],
    async run({ engine, out, args }) {
      const removed = await engine.destinations.remove(requireName(args[0]));
      out.result({ removed: removed.name }, () => `Removed destination "${visibleText(removed.name)}". Copies already in the ${removed.kind === 'sftp' ? 'folder' : 'bucket'} stay there.`);
    },
  },
  download: {
    usage: 'download DEST:ARCHIVE --to DIR [--json]',
    summary: 'download an archive and its sidecar from a destination into DIR, checked against the remote sidecar\'s SHA-256',
    options: ['to'],
    async run({ engine, out, args, values }) {
      const remote = args[0] ? await remoteReference(engine, args[0]) : null;
      if (!remote) throw new UsageError('download needs DEST:ARCHIVE (lifeboat list --destination DEST shows the archives)');
      if (!values.to) throw new UsageError('download needs --to DIR');
      const got = await runWithProgress(engine.copies.download(remote.destination.id, remote.name, path.resolve(values.to)), out);
      out.result(got, () => `Downloaded and checked: ${visibleText(got.file)} (${formatBytes(got.bytes)}, sha256 ${got.sha256})`);
    },
  },
  copy: {
    usage: 'copy FILE --to DEST [--json]',
    summary: 'copy an archive (and its sidecar) to a destination, resuming an interrupted upload, and verify it',
    options: ['to'],
    async run({ engine, out, args, values }) {
      if (!args[0]) throw new UsageError('copy needs the archive FILE');
      if (!values.to) throw new UsageError('copy needs --to DEST (lifeboat destination list shows them)');
      const result = await runWithProgress(engine.copies.start({ file: path.resolve(args[0]), destination: values.to }), out);
      out.result(result, () => `Copied to ${visibleText(result.destination)} and verified: ${visibleText(result.key)} (${formatBytes(result.bytes)}, sha256 ${result.sha256})${result.partsResumed ? `; resumed: ${result.partsResumed} parts were already there, ${result.partsSent} sent` : ''}`);
    },
  },
};

function requireName(name: string | undefined): string {
  if (!name) throw new UsageError('name the destination (lifeboat destination list shows them)');
  return name;
}

/**
 * Saves an SFTP destination, then tests it at once: its host keys are settled now, while a person is
 * here to look at them (as "profile add --ssh" does).
 */
async function addSftpDestination(engine: Engine, out: Output, name: string, values: Values): Promise<void> {
  const { sftp, sshSecrets } = sftpFromFlags(values);
  const added = await engine.destinations.add({ name, profile: values.profile!, sftp, sshSecrets, bandwidthLimit: bandwidthFlag(values) });
  if (engine.secrets.storage !== 'keychain' && sshSecrets.some((s) => s !== undefined)) out.note('lifeboat: warning: no OS keychain: the SSH password is kept for this session only; copies in later runs will ask for it again.');
  const test = await testTrustingHostKeys(engine, out, added.id, values['accept-host-key'] ?? []);
  if (!test.ok && test.error?.code.startsWith('SSH_HOST_KEY')) process.exitCode = 1;
  const destination = await engine.destinations.get(added.id);
  out.result({ destination, test }, () => [
    `Saved destination "${visibleText(destination.name)}" for profile "${visibleText(destination.profileName)}": ${visibleText(destination.where)}.`,
    test.ok ? describeTest(test) : `It does not work yet: ${visibleText(test.error?.message ?? '')}${test.error?.fix ? ` Fix: ${visibleText(test.error.fix)}` : ''}`,
  ].join('\n'));
}

/** --sftp sftp://USER@HOST[:PORT]/PATH with the SSH flags of "profile add --ssh" (the engine checks every field). */
function sftpFromFlags(values: Values): { sftp: SftpLocation; sshSecrets: (string | undefined)[] } {
  const match = /^sftp:\/\/([^/]+)(\/.*)$/.exec(values.sftp ?? '');
  if (!match) throw new UsageError(`--sftp must look like sftp://USER@HOST[:PORT]/FOLDER (an absolute folder on the host), not "${visibleText(values.sftp ?? '')}"`);
  let folder: string;
  try {
    folder = decodeURIComponent(match[2]!);
  } catch {
    throw new UsageError(`the folder in --sftp is not valid percent-encoding: "${visibleText(match[2]!)}"`);
  }
  const ssh = sshFromFlags(values, parseHop(match[1]!));
  const { secret: _secret, ...route } = ssh;
  return { sftp: { ...route, folder }, sshSecrets: secretsPerHop(ssh) };
}

/** Tests the destination; for SFTP, an unknown host key is trusted as "profile test" trusts one. */
function testTrustingHostKeys(engine: Engine, out: Output, name: string, accepted: readonly string[]): Promise<DestinationTestResult> {
  return trustingHostKeys(out, accepted, (accept) => engine.destinations.test(name, { acceptHostKeys: accept }), (result) => result.error);
}

function describeTest(result: DestinationTestResult): string {
  const failed = result.error ? `FAILED: ${visibleText(result.error.message)}${result.error.fix ? `\nFix: ${visibleText(result.error.fix)}` : ''}` : `OK (${result.durationMs} ms)`;
  return [...result.checks.map((c) => `  ✓ ${visibleText(c)}`), failed].join('\n');
}

/** S3: the secret key. SFTP: the hops' passwords and passphrases ("-": none is needed). */
function secretColumn(d: DestinationSummary): string {
  if (!d.secretSaved) return 'MISSING';
  return d.kind === 'sftp' && !d.sshSecretsSaved?.some(Boolean) ? '-' : 'saved';
}

/** --s3 s3://BUCKET[/PREFIX] and the other flags as an S3Location (the engine checks every field). */
function s3FromFlags(values: Values): S3Location {
  if (!values.s3 || !values.endpoint || !values['access-key-id']) throw new UsageError('an S3 destination needs --s3 s3://BUCKET[/PREFIX], --endpoint URL and --access-key-id ID');
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(values.s3);
  if (!match) throw new UsageError(`--s3 must look like s3://BUCKET or s3://BUCKET/PREFIX, not "${visibleText(values.s3)}"`);
  const days = values['object-lock-days'];
  if (days !== undefined && !/^\d+$/.test(days)) throw new UsageError('--object-lock-days takes a whole number of days');
  return {
    endpoint: values.endpoint,
    region: values.region ?? 'us-east-1',
    bucket: match[1]!,
    prefix: match[2] ?? '',
    pathStyle: values['path-style'] === true,
    accessKeyId: values['access-key-id'],
    partChecksums: values['no-part-checksums'] !== true,
    ...(values['storage-class'] ? { storageClass: values['storage-class'] } : {}),
    ...(days !== undefined ? { objectLockDays: Number(days) } : {}),
  };
}

/** `lifeboat list --destination NAME`: the archives there, from their sidecars. */
export async function listDestination(engine: Engine, out: Output, destination: string): Promise<void> {
  const archives = await engine.copies.listRemote(destination);
  const problems = archives.filter((a) => a.problem).map((a) => `! ${visibleText(a.name)}: ${visibleText(a.problem!)}`);
  out.result({ destination, archives }, () =>
    archives.length === 0
      ? `No archives in ${visibleText(destination)}.`
      : [table([['CREATED (UTC)', 'PROFILE', 'DATABASE', 'SERVER', 'SIZE', 'HERE TOO', 'NAME'], ...archives.map((a) => remoteRow(a))]), ...(problems.length ? ['', ...problems] : [])].join('\n'),
  );
}

function remoteRow(a: RemoteArchive): string[] {
  const s = a.sidecar;
  return [(s?.createdAt ?? a.lastModified ?? '?').replace('T', ' ').slice(0, 19), s?.profile ?? '?', s?.database ?? '?', s?.serverVersion ?? '?', a.bytes === null ? '?' : formatBytes(a.bytes), a.local ? 'yes' : '', a.name];
}

/** One archive's copies for the library table: "offsite-s3 ✓, b2 40 %, r2 FAILED". */
export function describeCopies(states: CopyState[]): string {
  return states.map((s) => `${s.destinationName} ${s.state === 'verified' ? '✓' : s.state === 'uploading' ? `${Math.floor((s.bytesDone / Math.max(1, s.bytes)) * 100)} %` : 'FAILED'}`).join(', ');
}

/** "NAME:ARCHIVE" naming an archive in a destination, when NAME is one and no local file has that path. */
export async function remoteReference(engine: Engine, arg: string): Promise<{ destination: DestinationSummary; name: string } | null> {
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]{0,62}):([^/\\]+)$/.exec(arg);
  if (!match) return null;
  const destination = await engine.destinations.get(match[1]!).catch(() => null);
  if (!destination) return null;
  return existsSync(path.resolve(arg)) ? null : { destination, name: match[2]! };
}

/**
 * The local file an archive argument names: FILE as given, or DEST:ARCHIVE downloaded (checked
 * against its remote sidecar) into a private temporary folder that is removed when `work` ends —
 * and at the next start, if this process is killed first.
 */
export async function withArchiveFile<R>(engine: Engine, out: Output, arg: string, work: (file: string) => Promise<R>): Promise<R> {
  const remote = await remoteReference(engine, arg);
  if (!remote) return work(path.resolve(arg));
  out.note(`lifeboat: downloading ${visibleText(remote.name)} from ${visibleText(remote.destination.name)}…`);
  const copy = await runWithProgress(engine.copies.fetchForUse(remote.destination.id, remote.name), out);
  try {
    return await work(copy.file);
  } finally {
    await copy.release();
  }
}

/** --bandwidth-limit 500K / 5M / 1G (bytes per second, powers of 1024), or none. */
function bandwidthFlag(values: Values): number | null {
  const text = values['bandwidth-limit'];
  if (text === undefined) return null;
  const match = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(text.trim());
  if (!match) throw new UsageError(`--bandwidth-limit takes a rate such as 500K, 5M or 1G (bytes per second), not "${visibleText(text)}"`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.round(Number(match[1]) * unit);
}
