// Destinations: where a profile's backups are copied besides the local folder. Fields on disk
// (destinations.json), the S3 secret key in the keychain only, bound to the endpoint, bucket and key
// id it was given for.
import { randomBytes, randomUUID } from 'node:crypto';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { JsonFileStore } from '../settings/json-file-store.ts';
import type { Destination, DestinationInput, DestinationSummary, DestinationTestResult, S3Location } from '../model/offsite.ts';
import type { CopyRecords } from './copy-records.ts';
import { checkDestinationName, normaliseS3Location } from './destination-validation.ts';
import { describeS3 } from './s3-connection.ts';
import type { RemoteStore } from './remote-store.ts';
import { S3Store } from './s3-store.ts';

const secretAccount = (id: string) => `s3:${id}`;
const secretBinding = (s3: S3Location) => `${s3.endpoint}|${s3.bucket}|${s3.accessKeyId}`;

export interface ConnectedDestination {
  destination: Destination;
  store: RemoteStore;
}

export class DestinationService {
  readonly #file: JsonFileStore<{ destinations: Destination[] }>;
  readonly #secrets: SecretStore;
  readonly #profiles: ProfileService;
  readonly #clock: Clock;
  readonly #records: CopyRecords;

  constructor(deps: { dataDir: string; secrets: SecretStore; profiles: ProfileService; clock: Clock; records: CopyRecords }) {
    this.#records = deps.records;
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
  async check(input: DestinationInput): Promise<{ name: string; profileId: string; profileName: string; s3: S3Location; where: string }> {
    const name = checkDestinationName(input.name);
    if (this.#all().some((d) => d.name.toLowerCase() === name.toLowerCase())) {
      throw new LifeboatError('DESTINATION_EXISTS', `There is already a destination named "${name}".`, 'Choose another name, or remove the old destination first.');
    }
    const profile = await this.#profiles.get(input.profile);
    const s3 = normaliseS3Location(input.s3);
    return { name, profileId: profile.id, profileName: profile.name, s3, where: describeS3(s3) };
  }

  async add(input: DestinationInput): Promise<DestinationSummary> {
    const { name, profileId, s3 } = await this.check(input);
    const destination: Destination = { id: randomUUID(), name, profileId, kind: 's3', s3, createdAt: this.#clock.now().toISOString() };
    if (typeof input.secretKey === 'string' && input.secretKey !== '') {
      await this.#secrets.set(secretAccount(destination.id), input.secretKey);
      destination.secretEndpoint = secretBinding(destination.s3);
    }
    this.#file.set('destinations', [...this.#all(), destination]);
    return this.#summary(destination);
  }

  /** Removes the destination from Lifeboat (its secret key and copy records too); nothing in the bucket is deleted. */
  async remove(idOrName: string): Promise<Destination> {
    const destination = this.find(idOrName);
    await this.#secrets.delete(secretAccount(destination.id));
    this.#file.set('destinations', this.#all().filter((d) => d.id !== destination.id));
    await this.#records.forgetDestination(destination.id);
    return destination;
  }

  /** The destinations a profile's backups are copied to. */
  forProfile(profileId: string): Destination[] {
    return this.#all().filter((d) => d.profileId === profileId);
  }

  /** A client for the destination, with its secret key (engine work only; the key never leaves the engine). */
  async connect(idOrName: string): Promise<ConnectedDestination> {
    const destination = this.find(idOrName);
    const saved = destination.secretEndpoint === secretBinding(destination.s3) ? await this.#secrets.get(secretAccount(destination.id)) : null;
    if (saved === null) {
      throw new LifeboatError('S3_AUTH_FAILED', `No secret access key is saved for destination "${destination.name}" (${describeS3(destination.s3)}).`, `Add it again with its secret key (lifeboat destination remove ${destination.name}, then destination add … --secret-key-env VAR).`);
    }
    return { destination, store: new S3Store(destination.s3, saved) };
  }

  /** Writes a small object, reads it back and deletes it: each step proves one permission. */
  async test(idOrName: string): Promise<DestinationTestResult> {
    const started = performance.now();
    const checks: string[] = [];
    try {
      const { store } = await this.connect(idOrName);
      try {
        await testRoundTrip(store, `.lifeboat-test-${randomUUID()}`, checks);
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
    const secretSaved = secretEndpoint === secretBinding(destination.s3) && (await this.#secrets.get(secretAccount(destination.id))) !== null;
    return { ...fields, profileName, secretSaved, where: describeS3(destination.s3) };
  }
}

async function testRoundTrip(store: RemoteStore, name: string, checks: string[]): Promise<void> {
  const body = randomBytes(1024);
  await store.putSmall(name, body);
  checks.push(`wrote a 1 KiB test object (${name})`);
  const back = await store.getSmall(name, body.length);
  if (!back.equals(body)) throw new LifeboatError('S3_FAILED', `${store.where} returned different bytes for the test object than were written.`, 'Something between this computer and the store changes data (a proxy?), or the store is faulty: do not use it for backups until this is fixed.');
  checks.push('read it back: same bytes');
  await store.remove(name);
  checks.push('deleted it');
}
