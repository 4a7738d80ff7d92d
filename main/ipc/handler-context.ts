// What every IPC handler group shares: the engine, the shell, the path grants, the remote copies
// downloaded for a restore, the job tracker, and the checks that turn a path or a key the page names
// into one main may use (path-grants.ts, fetched-copies.ts).
import path from 'node:path';
import type { AgeKeys } from '../engine/crypto/age-decrypt.ts';
import { parseIdentityFile } from '../engine/crypto/age-keys.ts';
import { LifeboatError, toErrorInfo, type Engine } from '../engine/index.ts';
import type { Job } from '../engine/jobs/job.ts';
import { readKeyFileText } from '../engine/keys/key-file.ts';
import { parseConnectionUri } from '../engine/profiles/profile-import.ts';
import type { RestoreRequest } from '../engine/restore/restore-service.ts';
import type { ProfileFields, SshSettings } from '../engine/types.ts';
import type { JobProgress } from '../engine/model/job.ts';
import type { CopySubject, ImportSource, Invoke, InvokeChannel, JobOutcome, JobProgressEvent, OpenKeys, RemoteSubject, RestoreUiRequest } from './contract.ts';
import { FetchedCopies } from './fetched-copies.ts';
import type { PathGrants } from './path-grants.ts';
import type { ShellPorts } from './shell-ports.ts';

type SslFileField = 'sslRootCert' | 'sslCert' | 'sslKey';
const SSL_FILE_FIELDS: [SslFileField, string][] = [
  ['sslRootCert', 'The CA certificate'],
  ['sslCert', 'The client certificate'],
  ['sslKey', 'The client key'],
];

export type Handlers = { [K in InvokeChannel]: (...args: Parameters<Invoke[K]>) => Promise<Awaited<ReturnType<Invoke[K]>>> | Awaited<ReturnType<Invoke[K]>> };

/** The handlers of one capability (handlers.ts puts the groups together). */
export type HandlerGroup = Partial<Handlers>;

/** What a tracked job works on, told with its progress: a copy's archive and destination, or a remote archive. */
export type JobAbout = { copy: CopySubject } | { remote: RemoteSubject };

export class HandlerContext {
  readonly jobs = new Map<string, Job<unknown>>();
  /** What each tracked copy or remote job works on (told with its progress and outcome). */
  readonly #about = new Map<string, JobAbout>();
  readonly engine: Engine;
  readonly shell: ShellPorts;
  readonly grants: PathGrants;
  readonly fetched: FetchedCopies;

  constructor(engine: Engine, shell: ShellPorts, grants: PathGrants, fetched: FetchedCopies = new FetchedCopies()) {
    this.engine = engine;
    this.shell = shell;
    this.grants = grants;
    this.fetched = fetched;
  }

  /** Forwards a job's progress and outcome to the window; forgets it when done. A copy or remote job says what it works on. */
  track<R>(job: Job<R>, outcome: (value: R) => Omit<JobOutcome, 'jobId'>, about?: JobAbout): { jobId: string } {
    this.jobs.set(job.id, job as Job<unknown>);
    if (about) this.#about.set(job.id, about);
    const remote = about && 'remote' in about ? { remote: about.remote } : {};
    const unsubscribe = job.onProgress((progress) => this.shell.emit('jobs:progress', this.progressEvent(progress)));
    job.result
      .then(
        (value) => this.shell.emit('jobs:finished', { ...outcome(value), ...remote, jobId: job.id } as JobOutcome),
        (error: unknown) => this.shell.emit('jobs:finished', { jobId: job.id, kind: job.kind, ok: false as const, error: toErrorInfo(error), ...remote }),
      )
      .finally(() => {
        unsubscribe();
        this.jobs.delete(job.id);
        this.#about.delete(job.id);
      });
    return { jobId: job.id };
  }

  /** A job's progress as the window hears it: a copy's names the archive and the destination, a remote job its archive there. */
  progressEvent(progress: JobProgress): JobProgressEvent {
    const about = this.#about.get(progress.jobId);
    return about ? { ...progress, ...about } : progress;
  }

  /** Deleting (and copying offsite) is allowed only inside the library's folders. */
  async assertInLibrary(file: string, fix = 'Only archives listed in the library can be deleted here.'): Promise<void> {
    const folders = await this.engine.library.folders();
    if (!folders.includes(path.dirname(file))) throw new LifeboatError('INVALID_INPUT', `${file} is not in a library folder.`, fix);
  }

  /**
   * An archive the page asks to upload: only one in a library folder, never a file the page merely
   * names (a compromised page must not send ~/.ssh/id_rsa to a bucket), and never one a dialog
   * granted for reading — an upload leaves this computer.
   */
  async copyableArchive(file: string): Promise<string> {
    await this.assertInLibrary(file, 'Only archives listed in the library can be copied offsite: import the archive into the library first.');
    return file;
  }

  /** A file the page may show in the file manager: a listed library file or its sidecar, or one the user chose. */
  async revealable(file: string): Promise<string> {
    const resolved = path.resolve(file);
    if (this.grants.has('open', resolved) || this.grants.has('save', resolved)) return resolved;
    await this.assertInLibrary(resolved);
    return resolved;
  }

  /**
   * A backup file the page asks to read: one the user chose, dropped or opened from the OS, one in a
   * library folder (listed by main), or a remote archive main downloaded for a restore (copies:fetch).
   */
  async readableBackup(file: string): Promise<string> {
    if (this.grants.has('open', file) || this.fetched.readable(file)) return file;
    const folders = await this.engine.library.folders();
    if (folders.includes(path.dirname(path.resolve(file)))) return file;
    return this.grants.use('open', file, 'The backup file');
  }

  /** Keys typed in the UI plus an identity file, if one was chosen. */
  async keysFrom(keys: OpenKeys): Promise<AgeKeys> {
    const identityFile = keys.identityFile ? this.grants.use('open', keys.identityFile, 'The identity file') : null;
    const identities = identityFile ? parseIdentityFile(await readKeyFileText(identityFile), identityFile) : [];
    return { identities, passphrases: keys.passphrase ? [keys.passphrase] : [] };
  }

  /** A pgpass file other than the default ~/.pgpass is read only when the user chose it in a dialog. */
  chosenSource(source: ImportSource): ImportSource {
    if (source.kind === 'uri') this.sslFilesChosen(parseConnectionUri(source.uri).fields);
    return source.kind === 'pgpass' && source.file !== undefined ? { kind: 'pgpass', file: this.grants.use('open', source.file, 'The pgpass file') } : source;
  }

  /**
   * A profile's SSL files are read whenever it connects (and a client certificate is sent to the
   * server), so a new path there must be one the user chose in a dialog; paths the profile already
   * had stay usable.
   */
  sslFilesChosen<T extends Pick<ProfileFields, SslFileField> & { ssh?: ProfileFields['ssh'] | null }>(fields: T, current?: Pick<ProfileFields, SslFileField | 'ssh'>): T {
    for (const [key, what] of SSL_FILE_FIELDS) {
      const file = fields[key]?.trim();
      if (file && file !== current?.[key]) this.grants.use('open', file, what);
    }
    // An SSH key file is read and used to log in: the same rule as the SSL files.
    this.sshKeyFilesChosen(fields.ssh, current?.ssh);
    return fields;
  }

  /**
   * An SSH route's key files (a profile's tunnel, an SFTP destination) are read and used to log in
   * whenever it connects: a new one must be one the user chose in a dialog; ones the route already
   * had stay usable.
   */
  sshKeyFilesChosen(ssh: SshSettings | null | undefined, current?: SshSettings | null): void {
    const known = new Set(current ? [current, ...current.jumps].map((hop) => hop.keyFile) : []);
    for (const hop of ssh ? [ssh, ...ssh.jumps] : []) {
      const file = hop.keyFile?.trim();
      if (file && !known.has(file)) this.grants.use('open', file, 'The SSH key file');
    }
  }

  async restoreRequestFrom(request: RestoreUiRequest): Promise<RestoreRequest> {
    const { profileId, passphrase: _p, identityFile: _i, ...rest } = request;
    return { ...rest, file: await this.readableBackup(request.file), profile: profileId, keys: await this.keysFrom(request) };
  }
}
