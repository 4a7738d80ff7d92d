// The sftp subsystem of an SSH connection as promises, and the one place SFTP's answers become
// Lifeboat errors. Writes and reads are pipelined (many requests in flight), so a link with 50 ms of
// latency still moves data at the speed of its bandwidth, not one packet per round trip. Once the
// connection is gone every call fails at once: ssh2 would otherwise drop a request sent on a closed
// channel without ever answering it.
import type { Client, FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import { LifeboatError } from '../errors.ts';
import { visibleText } from '../name-text.ts';

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02 §7). */
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;
const FAILURE = 4;
const NO_CONNECTION = 6;
const CONNECTION_LOST = 7;
const OP_UNSUPPORTED = 8;

/** 32 KiB requests (every server takes them), 32 in flight: 1 MiB on the way, within the SSH window. */
const PIECE = 32 * 1024;
const IN_FLIGHT = 32;

type SftpError = Error & { code?: number | string };

export class SftpSession {
  readonly #sftp: SFTPWrapper;
  /** Set when the connection or the channel closed: every later call fails with it. */
  #lost: LifeboatError | null = null;

  private constructor(sftp: SFTPWrapper, client: Client, host: string) {
    this.#sftp = sftp;
    const lost = () => {
      this.#lost ??= new LifeboatError('SFTP_FAILED', `The SSH connection to ${host} closed.`, 'Check the network and that sshd on the host is running, then try again: an interrupted copy resumes where it stopped.');
    };
    client.once('close', lost);
    sftp.once('close', lost);
    sftp.on('error', () => {}); // seen by the request it belongs to, or as the 'close' after it
  }

  /** Opens the sftp subsystem of `client` (the last hop). `host` names it in messages ("user@host:22"). */
  static start(client: Client, host: string): Promise<SftpSession> {
    return new Promise((resolve, reject) => {
      client.sftp((error, sftp) => {
        if (error) reject(new LifeboatError('SFTP_FAILED', `SSH host ${host} does not offer SFTP (${visibleText(error.message)}).`, 'Ask its administrator to enable the sftp subsystem in sshd_config ("Subsystem sftp internal-sftp"), or choose another host.', { cause: error }));
        else resolve(new SftpSession(sftp, client, host));
      });
    });
  }

  /** The connection broke: what to say instead of the request's own error. */
  get lost(): LifeboatError | null {
    return this.#lost;
  }

  end(): void {
    this.#sftp.end();
  }

  #call<T>(run: (done: (error: SftpError | null | undefined, value?: T) => void) => void): Promise<T> {
    if (this.#lost) return Promise.reject(this.#lost);
    return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))));
  }

  /** The entry itself (a link is not followed), or null when there is none. */
  lstat(path: string): Promise<Stats | null> {
    return this.#call<Stats>((done) => this.#sftp.lstat(path, done)).catch((error: SftpError) => {
      if (error.code === NO_SUCH_FILE) return null;
      throw error;
    });
  }

  /** What the path names, links followed (a destination folder may be a link), or null when nothing is there. */
  stat(path: string): Promise<Stats | null> {
    return this.#call<Stats>((done) => this.#sftp.stat(path, done)).catch((error: SftpError) => {
      if (error.code === NO_SUCH_FILE) return null;
      throw error;
    });
  }

  /** 'wx': create, never over an existing entry; 'r+': write into an existing file; 'r': read. Created files are the user's alone (0600). */
  open(path: string, flags: 'wx' | 'r+' | 'r'): Promise<Buffer> {
    return this.#call<Buffer>((done) => this.#sftp.open(path, flags, { mode: 0o600 }, done));
  }

  close(handle: Buffer): Promise<void> {
    return this.#call<void>((done) => this.#sftp.close(handle, done));
  }

  fstat(handle: Buffer): Promise<Stats> {
    return this.#call<Stats>((done) => this.#sftp.fstat(handle, done));
  }

  /** Flushes the file to the server's disk (fsync@openssh.com); false when the server cannot. */
  fsync(handle: Buffer): Promise<boolean> {
    return this.#call<boolean>((done) => {
      try {
        this.#sftp.ext_openssh_fsync(handle, (error) => done(error, true));
      } catch {
        done(null, false); // not offered: ssh2 refuses before sending anything
      }
    });
  }

  /** SFTP's own rename: it fails when `to` exists (v3 §6.5), so it never replaces a file. */
  rename(from: string, to: string): Promise<void> {
    return this.#call<void>((done) => this.#sftp.rename(from, to, done));
  }

  /** posix-rename@openssh.com: replaces `to` atomically; false when the server does not offer it. */
  replace(from: string, to: string): Promise<boolean> {
    return this.#call<boolean>((done) => {
      try {
        this.#sftp.ext_openssh_rename(from, to, (error) => done(error, true));
      } catch {
        done(null, false);
      }
    });
  }

  unlink(path: string): Promise<void> {
    return this.#call<void>((done) => this.#sftp.unlink(path, done));
  }

  opendir(path: string): Promise<Buffer> {
    return this.#call<Buffer>((done) => this.#sftp.opendir(path, done));
  }

  /** The next batch of a folder's entries, or null at its end. */
  readdir(handle: Buffer): Promise<FileEntryWithStats[] | null> {
    return this.#call<FileEntryWithStats[] | null>((done) => this.#sftp.readdir(handle, (error, list) => done(error && (error as SftpError).code === 1 ? null : error, error ? null : list)));
  }

  /** Up to `length` bytes at `position` (fewer only at the end of the file; 0 there). */
  read(handle: Buffer, length: number, position: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    return this.#call<Buffer>((done) => this.#sftp.read(handle, buffer, 0, length, position, (error, bytes) => done(error, buffer.subarray(0, bytes ?? 0))));
  }

  /** Writes `data` at `position`, IN_FLIGHT requests at a time; resolves when the server acknowledged every byte. */
  write(handle: Buffer, data: Buffer, position: number, signal: AbortSignal): Promise<void> {
    if (this.#lost) return Promise.reject(this.#lost);
    return new Promise((resolve, reject) => {
      let next = 0;
      let pending = 0;
      let failed = false;
      const fail = (error: unknown) => {
        failed = true;
        reject(error);
      };
      const pump = () => {
        while (!failed && pending < IN_FLIGHT && next < data.length) {
          if (signal.aborted) return fail(signal.reason);
          if (this.#lost) return fail(this.#lost);
          const start = next;
          const length = Math.min(PIECE, data.length - start);
          next += length;
          pending++;
          this.#sftp.write(handle, data, start, length, position + start, (error) => {
            pending--;
            if (failed) return;
            if (error) return fail(error);
            if (next >= data.length && pending === 0) resolve();
            else pump();
          });
        }
      };
      if (data.length === 0) resolve();
      else pump();
    });
  }

  /** The file's bytes from the start, IN_FLIGHT reads ahead; a short read restarts the reads after it. */
  async *stream(handle: Buffer, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const queue: { at: number; data: Promise<Buffer> }[] = [];
    let position = 0;
    const ask = () => {
      const read = { at: position, data: this.read(handle, PIECE, position) };
      read.data.catch(() => {}); // awaited in turn below; one that is dropped must not go unhandled
      queue.push(read);
      position += PIECE;
    };
    while (queue.length < IN_FLIGHT) ask();
    for (;;) {
      signal?.throwIfAborted();
      const { at, data } = queue.shift()!;
      const chunk = await data;
      if (chunk.length === 0) return;
      yield chunk;
      if (chunk.length < PIECE) {
        // Only the end of a file reads short on OpenSSH; elsewhere, the reads already asked for are at the wrong offsets.
        queue.length = 0;
        position = at + chunk.length;
      }
      while (queue.length < IN_FLIGHT) ask();
    }
  }
}

/**
 * What went wrong talking to the SFTP server, with the fix. `doing` names the step in plain words
 * ("write archive.lifeboat", "list the folder"); `where` is the destination ("sftp://…").
 */
export function sftpProblem(error: unknown, session: SftpSession | null, where: string, doing: string): LifeboatError {
  if (error instanceof LifeboatError) return error;
  const e = (error ?? {}) as SftpError;
  const said = visibleText(String(e.message ?? e.code ?? 'error')).slice(0, 300);
  const cause = { cause: error };
  const lost = session?.lost;
  if (lost || e.code === NO_CONNECTION || e.code === CONNECTION_LOST || /no response from server/i.test(said)) {
    return new LifeboatError('SFTP_FAILED', `The SSH connection to ${where} was lost while Lifeboat tried to ${doing}.`, 'Check the network and that sshd on the host is running, then try again: an interrupted copy resumes where it stopped.', cause);
  }
  if (e.code === PERMISSION_DENIED) {
    return new LifeboatError('SFTP_PERMISSION_DENIED', `The SSH user may not ${doing} in ${where} (permission denied).`, 'Give the SSH user write permission on the folder on the host (chown or chmod), or choose a folder it owns.', cause);
  }
  if (e.code === NO_SUCH_FILE) {
    return new LifeboatError('SFTP_FAILED', `Lifeboat could not ${doing} in ${where}: no such file or folder.`, 'Check that the folder still exists on the host and that nothing else removes files there.', cause);
  }
  if (e.code === OP_UNSUPPORTED) {
    return new LifeboatError('SFTP_FAILED', `The SFTP server of ${where} does not support what Lifeboat needs to ${doing} (${said}).`, 'Use an OpenSSH server (its sftp subsystem supports everything Lifeboat uses).', cause);
  }
  const hint = e.code === FAILURE ? ' (a full disk or an exceeded quota on the host are the usual causes)' : '';
  return new LifeboatError('SFTP_FAILED', `The SFTP server of ${where} failed to ${doing}: ${said}${hint}.`, 'Check free space and quotas on the host, then try again: an interrupted copy resumes where it stopped.', cause);
}
