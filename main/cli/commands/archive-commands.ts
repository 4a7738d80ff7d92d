import path from 'node:path';
import { warmArchiveThread } from '../../engine/archive/archive-thread.ts';
import type { AgeKeys } from '../../engine/crypto/age-decrypt.ts';
import { parseIdentityFile } from '../../engine/crypto/age-keys.ts';
import { readKeyFileText } from '../../engine/keys/key-file.ts';
import type { EncryptionChoice } from '../../engine/keys/key-service.ts';
import type { Command, Values } from '../cli-command.ts';
import { visibleText } from '../../engine/name-text.ts';
import { formatBytes, table, UsageError } from '../cli-output.ts';
import { runWithProgress } from '../job-progress.ts';
import { describeCopy, followUps } from './follow-ups.ts';
import { passphraseFromEnv } from '../secret-env.ts';
import { describeCopies, listDestination, remoteReference } from './destination-commands.ts';
import { describeDrill } from './drill-text.ts';
import { backUpServer } from './server-run-commands.ts';

export const ARCHIVE_COMMANDS: Record<string, Command> = {
  backup: {
    usage: 'backup --profile P [--out DIR] [--recipient age1…]… [--passphrase-env VAR] [--no-encrypt] [--no-row-counts] [--jobs N (whole-server profiles: databases at a time)] [--json]',
    summary: 'back up a profile\'s database (or every database of its scope) into encrypted .lifeboat archives',
    options: ['profile', 'out', 'recipient', 'passphrase-env', 'no-encrypt', 'no-row-counts', 'jobs', 'pg-bin'],
    warmUp: warmArchiveThread, // the archive's thread starts while the engine is made
    async run({ engine, out, values }) {
      if (!values.profile) throw new UsageError('backup needs --profile NAME');
      const encryption = encryptionChoice(values);
      if (encryption.kind === 'none') out.note('lifeboat: warning: --no-encrypt: this archive will NOT be encrypted; anyone with the file can read the data.');
      if (engine.profiles.stored(values.profile).scope) return backUpServer(engine, out, values, encryption);
      if (values.jobs !== undefined) throw new UsageError('--jobs is for whole-server profiles (databases at a time); this profile backs up one database');
      const job = engine.backups.start({
        profile: values.profile,
        ...(values.out ? { outDir: path.resolve(values.out) } : {}),
        encryption,
        ...(values['no-row-counts'] ? { exactRowCounts: false } : {}),
      });
      const { result, drills, copies } = await followUps(engine, out, () => runWithProgress(job, out));
      if (result.keyCreated) {
        out.note('lifeboat: Lifeboat created its backup key and keeps it in the OS keychain. Export the recovery key NOW and store it safely: without it nobody can open these backups if this computer is lost.\n  lifeboat key export --out lifeboat-recovery-key.txt');
      }
      for (const note of result.notes) out.note(`lifeboat: note: ${visibleText(note)}`);
      out.result(
        { archive: result.archive, sha256: result.sha256, bytes: result.bytes, tables: result.tables, rows: result.totalRows, durationMs: result.durationMs, encryption: result.sidecar.encryption.kind, notes: result.notes, copies, ...(drills.length ? { drill: drills[0] } : {}) },
        () =>
          `Backed up ${result.tables} tables${result.totalRows !== null ? ` (${result.totalRows} rows)` : ''} in ${(result.durationMs / 1000).toFixed(1)} s\n${result.archive}\n${formatBytes(result.bytes)}, ${result.sidecar.encryption.kind === 'none' ? 'NOT ENCRYPTED' : `encrypted (${result.sidecar.encryption.kind})`}, sha256 ${result.sha256}` +
          copies.map((copy) => `\n${describeCopy(copy)}`).join('') +
          drills.map((record) => `\n\nDrill after the backup:\n${describeDrill(record)}`).join(''),
      );
      // The backup is kept either way, but a copy that did not land is a failure the exit code says too.
      if (copies.some((copy) => copy.state === 'failed')) process.exitCode = 1;
      // The backup is made, but a drill that FAILED says it does not restore: the exit code says so too.
      if (drills.some((record) => !record.passed && !record.couldNotRun)) process.exitCode = 1;
    },
  },
  list: {
    usage: 'list [DIR…] [--profile P] [--database D] [--destination DEST] [--json]',
    summary: 'archives in the library folders (or in DIR, or in a destination), newest first, with where their copies are',
    options: ['profile', 'database', 'destination'],
    async run({ engine, out, args, values }) {
      if (values.destination) return listDestination(engine, out, values.destination);
      const states = await engine.copies.states();
      const copiesOf = (file: string) => states.filter((s) => s.archive === file);
      const listed = await engine.library.listing({ folders: args.map((a) => path.resolve(a)), ...(values.profile ? { profile: values.profile } : {}), ...(values.database ? { database: values.database } : {}) });
      const archives = listed.archives.map((archive) => ({ ...archive, copies: copiesOf(archive.path) }));
      // An archive with a problem (a bad sidecar…) or a folder that cannot be read is said after the table: the others list as usual.
      const problems = [
        ...listed.unreadable.map((f) => `! ${visibleText(f.message)} Fix: ${visibleText(f.fix)}`),
        ...archives.filter((a) => a.problem).map((a) => `! ${visibleText(a.path)}: ${visibleText(a.problem!.message)} Fix: ${visibleText(a.problem!.fix)}`),
      ];
      out.result({ archives, unreadableFolders: listed.unreadable }, () =>
        [archives.length === 0
          ? 'No archives found.'
          : table([
              ['CREATED (UTC)', 'PROFILE', 'DATABASE', 'SERVER', 'SIZE', 'ENCRYPTION', 'STATUS', 'COPIES', 'FILE'],
              ...archives.map(({ path: file, sidecar: s, problem, copies }) => problem
                ? [s.createdAt.replace('T', ' ').slice(0, 19), s.profile, s.database, '?', formatBytes(s.bytes), '?', 'PROBLEM (below)', describeCopies(copies), file]
                : [s.createdAt.replace('T', ' ').slice(0, 19), s.profile, s.database, s.serverVersion, formatBytes(s.bytes), s.encryption.kind, s.verification ? `${s.verification.ok ? 'verified' : 'FAILED'} (${s.verification.level})` : '', describeCopies(copies), file]),
            ]), ...(problems.length ? ['', ...problems] : [])].join('\n'),
      );
    },
  },
  verify: {
    usage: 'verify FILE|DEST:ARCHIVE [--full] [--identity KEYFILE]… [--passphrase-env VAR] [--json]',
    summary: 'check an archive: sha256 vs its sidecar; --full also decrypts it all and lets pg_restore read it; DEST:ARCHIVE downloads a remote copy and checks its sha256',
    options: ['full', 'identity', 'passphrase-env', 'pg-bin'],
    async run({ engine, out, args, values }) {
      const remote = await remoteReference(engine, requireFile(args[0]));
      if (remote) {
        if (values.full) throw new UsageError('--full is not available for a remote copy yet: download it (or verify the local archive) instead');
        const checked = await runWithProgress(engine.copies.verifyRemote(remote.destination.id, remote.name), out);
        out.result(checked, () => `OK: ${visibleText(remote.destination.name)}:${visibleText(remote.name)}\n${checked.checks.map((c) => `  ✓ ${visibleText(c)}`).join('\n')}`);
        return;
      }
      const file = path.resolve(requireFile(args[0]));
      const job = engine.library.verify(file, values.full ? 'full' : 'quick', await decryptionKeys(values));
      const result = await runWithProgress(job, out);
      out.result(result, () => `OK: ${visibleText(file)}\n${result.checks.map((c) => `  ✓ ${visibleText(c)}`).join('\n')}`);
    },
  },
  extract: {
    usage: 'extract FILE --to DIR [--identity KEYFILE]… [--passphrase-env VAR] [--json]',
    summary: 'write the archive\'s files (manifest, globals.sql, database.dump.*, checksums) into DIR',
    options: ['to', 'identity', 'passphrase-env'],
    async run({ engine, out, args, values }) {
      const file = path.resolve(requireFile(args[0]));
      if (!values.to) throw new UsageError('extract needs --to DIR');
      const { files } = await engine.library.extract(file, path.resolve(values.to), await decryptionKeys(values));
      out.result({ files }, () => `${files.map(visibleText).join('\n')}\nRestore with: cat ${path.join(path.resolve(values.to!), 'database.dump.*')} | pg_restore -d DATABASE`);
    },
  },
  import: {
    usage: 'import FILE [--to DIR] [--identity KEYFILE]… [--passphrase-env VAR] [--json]',
    summary: 'copy an archive from elsewhere (a download, a USB drive) into the library folder (or DIR) and write its sidecar',
    options: ['to', 'identity', 'passphrase-env'],
    async run({ engine, out, args, values }) {
      const file = path.resolve(requireFile(args[0]));
      const folder = values.to ? path.resolve(values.to) : (await engine.library.folders())[0]!;
      const entry = await engine.library.importArchive(file, folder, await decryptionKeys(values));
      const known = entry.sidecar.partial ? 'not opened with the keys given: listed by its name and size' : `${visibleText(entry.sidecar.profile)} / ${visibleText(entry.sidecar.database)}, PostgreSQL ${visibleText(entry.sidecar.serverVersion)}`;
      out.result(entry, () => `Imported: ${visibleText(entry.path)}
  ${known}, ${formatBytes(entry.sidecar.bytes)}
Check it with: lifeboat verify --full "${entry.path}"`);
    },
  },
  'key show': {
    usage: 'key show [--json]',
    summary: 'how backups are encrypted, and Lifeboat\'s public key (age1…)',
    options: [],
    async run({ engine, out }) {
      const status = await engine.keys.status();
      out.result(status, () => [
        `Mode:        ${status.mode === 'key' ? "Lifeboat's key (X25519)" : 'passphrase'}`,
        `Public key:  ${status.recipient ?? '(none yet: created by the first backup)'}`,
        `Extra:       ${status.extraRecipients.join(', ') || '(no extra recipients)'}`,
        `Passphrase:  ${status.passphraseSaved ? 'saved in the keychain' : 'not set'}`,
      ].join('\n'));
    },
  },
  'key export': {
    usage: 'key export --out FILE [--json]',
    summary: 'write the recovery key (age-keygen format): whoever has it can open your backups',
    options: ['out'],
    async run({ engine, out, values }) {
      if (!values.out) throw new UsageError('key export needs --out FILE');
      const result = await engine.keys.exportRecoveryKey(path.resolve(values.out));
      out.result(result, () => `Wrote the recovery key to ${result.file} (readable only by you).\nKeep it somewhere safe and separate from the backups: losing it loses the backups; anyone who has it can read them.\nDecrypt without Lifeboat: age -d -i ${result.file} FILE.lifeboat | tar -x`);
    },
  },
  'key import': {
    usage: 'key import FILE [--yes] [--json]',
    summary: 'use an existing age identity (e.g. your recovery key on a new computer) as Lifeboat\'s key; --yes replaces a different key (kept to open its backups)',
    options: ['yes'],
    async run({ engine, out, args, values }) {
      // Replacing a different key changes who can read new backups: only with --yes.
      const result = await engine.keys.importIdentity(path.resolve(requireFile(args[0])), values.yes ? { confirm: async () => true } : {});
      const forgotten = result.forgotten.length ? `\nNot kept (Lifeboat keeps 20 earlier keys at most): ${result.forgotten.join(', ')} — backups made with these open only with a recovery file that holds them.` : '';
      out.result(result, () => (result.unchanged ? `Lifeboat already uses the key ${result.recipient}: nothing changed.` : `Lifeboat now uses the key ${result.recipient}.${result.replaced ? ` The previous key ${result.replaced} stays in the keychain to open the backups it made.` : ''}${forgotten}`));
    },
  },
};

export function requireFile(value: string | undefined): string {
  if (!value) throw new UsageError('missing FILE');
  return value;
}

export function encryptionChoice(values: Pick<Values, 'no-encrypt' | 'passphrase-env' | 'recipient'>): EncryptionChoice {
  const chosen = [values['no-encrypt'], values['passphrase-env'], values.recipient?.length].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one of --recipient, --passphrase-env and --no-encrypt');
  if (values['no-encrypt']) return { kind: 'none' };
  if (values['passphrase-env']) return { kind: 'passphrase', passphrase: passphraseFromEnv(values['passphrase-env']) };
  if (values.recipient?.length) return { kind: 'recipients', recipients: values.recipient };
  return { kind: 'settings' };
}

export async function decryptionKeys(values: Values): Promise<AgeKeys> {
  const identities: string[] = [];
  for (const file of values.identity ?? []) {
    identities.push(...parseIdentityFile(await readKeyFileText(file), file));
  }
  const passphrases = values['passphrase-env'] ? [passphraseFromEnv(values['passphrase-env'])] : [];
  return { identities, passphrases };
}

