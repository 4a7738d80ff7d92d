// Host-key trust for the tunnel's hops: the user's ~/.ssh/known_hosts (read, never written) and
// Lifeboat's own known_hosts in its data folder (where keys the user accepts are added). An unknown
// key is trusted only when the caller passes its exact fingerprint, which only a person can: the
// app's dialog, the CLI's prompt or --accept-host-key. Unattended runs never pass one.
import os from 'node:os';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import type { SshHop } from '../model/profile.ts';
import { addKnownHost, checkHostKey, knownHostsName, knownKeyTypes, keyTypeOf, sha256Fingerprint } from './known-hosts.ts';

export class HostKeyTrust {
  readonly #ownFile: string;
  readonly #userFile: string;

  constructor(deps: { dataDir: string; userKnownHosts?: string }) {
    this.#ownFile = path.join(deps.dataDir, 'known_hosts');
    this.#userFile = deps.userKnownHosts ?? path.join(os.homedir(), '.ssh', 'known_hosts');
  }

  get files(): string[] {
    return [this.#userFile, this.#ownFile];
  }

  knownKeyTypes(hop: Pick<SshHop, 'host' | 'port'>): Promise<string[]> {
    return knownKeyTypes(this.files, hop.host, hop.port);
  }

  /**
   * Resolves when the key is trusted (known, or unknown and its fingerprint is in `accept`, which
   * adds it to Lifeboat's file); rejects with SSH_HOST_KEY_UNKNOWN / SSH_HOST_KEY_CHANGED otherwise.
   */
  async verify(hop: Pick<SshHop, 'host' | 'port'>, keyBlob: Buffer, accept: readonly string[]): Promise<void> {
    const verdict = await checkHostKey(this.files, hop.host, hop.port, keyBlob);
    const where = knownHostsName(hop.host, hop.port);
    switch (verdict.kind) {
      case 'trusted':
        return;
      case 'unknown':
        if (accept.includes(verdict.fingerprint)) {
          await addKnownHost(this.#ownFile, hop.host, hop.port, keyBlob, { hashed: false });
          return;
        }
        throw new LifeboatError(
          'SSH_HOST_KEY_UNKNOWN',
          `The SSH host ${where} is not known yet. It identifies itself with the ${verdict.keyType} key ${verdict.fingerprint}.`,
          `Check this fingerprint with the server's administrator (ssh-keygen -lf on the server's host key), then trust it: in the app's dialog, by answering the prompt of "lifeboat profile test" (or "destination test" for an SFTP destination), or with --accept-host-key ${verdict.fingerprint}.`,
          { hostKey: { host: hop.host, port: hop.port, keyType: verdict.keyType, fingerprint: verdict.fingerprint } },
        );
      case 'changed': {
        const known = verdict.known.map((k) => `${k.keyType} ${k.fingerprint} (${k.file}:${k.line})`).join(', ');
        throw new LifeboatError(
          'SSH_HOST_KEY_CHANGED',
          `The SSH host ${where} now identifies itself with the ${verdict.keyType} key ${verdict.fingerprint}, but the key known for it is ${known}. Someone may be intercepting the connection, or the server was reinstalled.`,
          `Nothing was sent. Ask the server's administrator whether the host key changed. If it did, remove the old key (ssh-keygen -R "${where}" -f <the file named above>) and connect again to trust the new one.`,
          { hostKey: { host: hop.host, port: hop.port, keyType: verdict.keyType, fingerprint: verdict.fingerprint, knownFingerprints: verdict.known.map((k) => k.fingerprint) } },
        );
      }
      case 'revoked':
        throw new LifeboatError(
          'SSH_HOST_KEY_CHANGED',
          `The SSH host ${where} offered the key ${verdict.fingerprint}, which ${verdict.file}:${verdict.line} marks as revoked.`,
          'Nothing was sent. Ask the server\'s administrator for the host\'s current key.',
          { hostKey: { host: hop.host, port: hop.port, keyType: keyTypeOf(keyBlob), fingerprint: sha256Fingerprint(keyBlob) } },
        );
    }
  }
}
