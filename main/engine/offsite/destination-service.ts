// Destinations: where a profile's backups are copied besides the local folder — an S3-compatible
// bucket or a folder on an SSH server (SFTP). Fields on disk (destinations.json); the S3 secret key
// in the keychain only, bound to the endpoint, bucket and key id it was given for; SFTP passwords
// and key passphrases in the keychain only, per hop of the route, as a profile's tunnel keeps them.
import { randomBytes, randomUUID } from 'node:crypto';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { JsonFileStore } from '../settings/json-file-store.ts';
import { deleteRouteSecrets, routeSecretsSaved, saveRouteSecrets, type SecretRoute } from '../tunnel/route-secrets.ts';
import { sshHops, type RouteOptions, type TunnelService } from '../tunnel/tunnel-service.ts';
import type { Destination, DestinationInput, DestinationKind, DestinationSummary, DestinationTestResult, S3Location, SftpLocation } from '../model/offsite.ts';
import type { CopyRecords } from './copy-records.ts';
import { checkBandwidthLimit, checkDestinationName, describeS3, normaliseS3Location } from './destination-validation.ts';
import type { RemoteStore } from './remote-store.ts';
import { describeSftp, normaliseSftpLocation, sftpRoute, sftpRouteOwner, sftpSettings } from './sftp-location.ts';

const secretAccount = (id: string) => `s3:${id}`;
const secretBinding = (s3: S3Location) => `${s3.endpoint}|${s3.bucket}|${s3.accessKeyId}`;

export interface ConnectedDestination {
  destination: Destination;
  store: RemoteStore;
}

/** What `add` would save, checked: the name free, the profile known, the location normalised. */
export interface CheckedDestination {
  name: string;
  profileId: string;
  profileName: string;
  kind: DestinationKind;
  s3?: S3Location;
  sftp?: SftpLocation;
  where: string;
}

export class DestinationService {
  readonly #file: JsonFileStore<{ destinations: Destination[] }>;
  readonly #secrets: SecretStore;
  readonly #profiles: ProfileService;
  readonly #clock: Clock;
  readonly #records: CopyRecords;
  readonly #tunnels: TunnelService;

  constructor(deps: { dataDir: string; secrets: SecretStore; profiles: ProfileService; clock: Clock; records: CopyRecords; tunnels: TunnelService }) {
    this.#records = deps.records;
    this.#tunnels = deps.tunnels;
    this.#file = new JsonFileStore(deps.dataDir, 'destinations', { destinations: [] as Destination[] });
    this.#secrets = deps.secrets;
    this.#profiles = deps.profiles;
    this.#clock = deps.clock;
  }

  async list(filter: { profile?: string } = {}): Promise<DestinationSummary[]> {
    const profileId = filter.profile ? (await this.#profiles.get(filter.profile)).id : null;
    const all = this.#all().filter((d) => !profileId || d.profileId === profileId);
    return Promise.all(all.map((d) => this.#summary(d)));
  }

  async get(idOrName: string): Promise<DestinationSummary> {
    return this.#summary(this.find(idOrName));
  }

  /**
   * What `add` would save — the name free and usable, the profile known, the location normalised —
   * checked without saving anything or contacting the store (the app asks the user first).
   */
  async check(input: DestinationInput): Promise<CheckedDestination> {
    const name = checkDestinationName(input.name);
    if (this.#all().some((d) => d.name.toLowerCase() === name.toLowerCase())) {
      throw new LifeboatError('DESTINATION_EXISTS', `There is already a destination named "${name}".`, 'Choose another name, or remove the old destination first.');
    }
    const profile = await this.#profiles.get(input.profile);
    const base = { name, profileId: profile.id, profileName: profile.name };
    if (Boolean(input.s3) === Boolean(input.sftp)) throw new LifeboatError('INVALID_INPUT', 'A destination is either an S3 bucket or an SFTP folder.', 'Give exactly one of the two locations.');
    if (input.sftp) {
      const sftp = normaliseSftpLocation(input.sftp);
      return { ...base, kind: 'sftp', sftp, where: describeSftp(sftp) };
    }
    const s3 = normaliseS3Location(input.s3!);
    return { ...base, kind: 's3', s3, where: describeS3(s3) };
  }

  async add(input: DestinationInput): Promise<DestinationSummary> {
    const { name, profileId, kind, s3, sftp } = await this.check(input);
    const limit = checkBandwidthLimit(input.bandwidthLimit);
    const destination: Destination = { id: randomUUID(), name, profileId, kind, ...(s3 ? { s3 } : {}), ...(sftp ? { sftp } : {}), ...(limit ? { bandwidthLimit: limit } : {}), createdAt: this.#clock.now().toISOString() };
    if (sftp) await saveRouteSecrets(this.#secrets, null, routeOf(destination)!, input.sshSecrets ?? []);
    else if (s3 && typeof input.secretKey === 'string' && input.secretKey !== '') {
      await this.#secrets.set(secretAccount(destination.id), input.secretKey);
      destination.secretEndpoint = secretBinding(s3);
    }
    this.#file.set('destinations', [...this.#all(), destination]);
    return this.#summary(destination);
  }

  /** Removes the destination from Lifeboat (its secrets and copy records too); nothing in the bucket or folder is deleted. */
  async remove(idOrName: string): Promise<Destination> {
    const destination = this.find(idOrName);
    const route = routeOf(destination);
    if (route) await deleteRouteSecrets(this.#secrets, route);
    else await this.#secrets.delete(secretAccount(destination.id));
    this.#file.set('destinations', this.#all().filter((d) => d.id !== destination.id));
    await this.#records.forgetDestination(destination.id);
    return destination;
  }

  /** The destinations a profile's backups are copied to. */
  forProfile(profileId: string): Destination[] {
    return this.#all().filter((d) => d.profileId === profileId);
  }

  /**
   * A client for the destination, with its secrets (engine work only; they never leave the engine).
   * SFTP: `acceptHostKeys` are host keys a person has just accepted (never passed by unattended runs).
   */
  async connect(idOrName: string, options: RouteOptions = {}): Promise<ConnectedDestination> {
    const destination = this.find(idOrName);
    if (destination.kind === 'sftp') return { destination, store: await this.#openSftp(destination, options) };
    const s3 = locationOf(destination, 's3');
    const saved = destination.secretEndpoint === secretBinding(s3) ? await this.#secrets.get(secretAccount(destination.id)) : null;
    if (saved === null) {
      throw new LifeboatError('S3_AUTH_FAILED', `No secret access key is saved for destination "${destination.name}" (${describeS3(s3)}).`, `Add it again with its secret key (lifeboat destination remove ${destination.name}, then destination add … --secret-key-env VAR).`);
    }
    // Loaded here only: the AWS SDK costs ~0.1 s of every CLI start otherwise.
    const { S3Store } = await import('./s3-store.ts');
    return { destination, store: new S3Store(s3, saved) };
  }

  /** The route's hops connected (host keys checked, secrets from the keychain), then the sftp subsystem and the folder. */
  async #openSftp(destination: Destination, options: RouteOptions): Promise<RemoteStore> {
    const location = locationOf(destination, 'sftp');
    const hops = await this.#tunnels.connect(sftpRouteOwner(destination.id), sftpRoute(location), { ...options, settings: sftpSettings(destination.name) });
    // Loaded here only: ssh2 is needed by SFTP destinations alone (and is loaded by the route code above).
    const { openSftpStore } = await import('./sftp-store.ts');
    return openSftpStore(location, hops);
  }

  /**
   * Writes a small object, reads it back and deletes it: each step proves one permission. SFTP:
   * `acceptHostKeys` trusts host keys a person has just accepted, as a profile's test does.
   */
  async test(idOrName: string, options: { acceptHostKeys?: readonly string[] } = {}): Promise<DestinationTestResult> {
    const started = performance.now();
    const checks: string[] = [];
    try {
      const { store, destination } = await this.connect(idOrName, options);
      if (destination.kind === 'sftp') checks.push(`logged in over SSH and opened the folder (${store.where})`);
      try {
        await testRoundTrip(store, `.lifeboat-test-${randomUUID()}`, checks, destination.kind === 'sftp' ? 'SFTP_FAILED' : 'S3_FAILED');
      } finally {
        await store.close();
      }
      return { ok: true, checks, durationMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { ok: false, checks, error: toErrorInfo(error), durationMs: Math.round(performance.now() - started) };
    }
  }

  find(idOrName: string): Destination {
    const all = this.#all();
    const found = all.find((d) => d.id === idOrName) ?? all.find((d) => d.name.toLowerCase() === idOrName.toLowerCase());
    if (!found) {
      const names = all.map((d) => d.name).join(', ');
      throw new LifeboatError('DESTINATION_NOT_FOUND', `There is no destination named "${idOrName}".`, names ? `Known destinations: ${names}.` : 'Add one first with "lifeboat destination add NAME --profile P --s3 s3://BUCKET/PREFIX --endpoint URL …".');
    }
    return found;
  }

  #all(): Destination[] {
    return this.#file.get('destinations');
  }

  async #summary(destination: Destination): Promise<DestinationSummary> {
    const { secretEndpoint, ...fields } = destination;
    const profileName = await this.#profiles.get(destination.profileId).then((p) => p.name, () => '(removed profile)');
    const route = routeOf(destination);
    if (route) {
      const saved = await routeSecretsSaved(this.#secrets, route);
      // A password login cannot work without its password; a key may have no passphrase, the agent needs none.
      const secretSaved = sshHops(route.ssh!).every((hop, i) => hop.auth !== 'password' || saved[i] === true);
      return { ...fields, profileName, secretSaved, sshSecretsSaved: saved, where: describeSftp(locationOf(destination, 'sftp')) };
    }
    const s3 = locationOf(destination, 's3');
    const secretSaved = secretEndpoint === secretBinding(s3) && (await this.#secrets.get(secretAccount(destination.id))) !== null;
    return { ...fields, profileName, secretSaved, where: describeS3(s3) };
  }
}

/** The location of the destination's kind (a file edited by hand may lack it). */
function locationOf(destination: Destination, kind: 's3'): S3Location;
function locationOf(destination: Destination, kind: 'sftp'): SftpLocation;
function locationOf(destination: Destination, kind: DestinationKind): S3Location | SftpLocation {
  const location = kind === 's3' ? destination.s3 : destination.sftp;
  if (destination.kind !== kind || !location) throw new LifeboatError('INVALID_INPUT', `The destination "${destination.name}" has no ${kind === 's3' ? 'bucket' : 'SFTP folder'} saved (destinations.json was edited?).`, `Remove it (lifeboat destination remove ${destination.name}) and add it again.`);
  return location;
}

/** An SFTP destination's route and keychain owner; null for other kinds. */
function routeOf(destination: Destination): SecretRoute | null {
  return destination.kind === 'sftp' && destination.sftp ? { owner: sftpRouteOwner(destination.id), ssh: sftpRoute(destination.sftp) } : null;
}

async function testRoundTrip(store: RemoteStore, name: string, checks: string[], failed: 'S3_FAILED' | 'SFTP_FAILED'): Promise<void> {
  const body = randomBytes(1024);
  await store.putSmall(name, body);
  checks.push(`wrote a 1 KiB test object (${name})`);
  const back = await store.getSmall(name, body.length);
  if (!back.equals(body)) throw new LifeboatError(failed, `${store.where} returned different bytes for the test object than were written.`, 'Something between this computer and the store changes data (a proxy?), or the store is faulty: do not use it for backups until this is fixed.');
  checks.push('read it back: same bytes');
  await store.remove(name);
  checks.push('deleted it');
}
