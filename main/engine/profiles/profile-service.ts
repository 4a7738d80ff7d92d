import { randomUUID } from 'node:crypto';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import { readSmallUserFile } from '../files/user-file.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import { webhookAccount, type SecretStore } from '../secrets/secret-store.ts';
import type { Clock } from '../ports.ts';
import type { ConnectionTestResult, ImportCandidate, Profile, ProfileFields, ProfileInput, ProfileSummary } from '../types.ts';
import type { ConnectTarget } from '../tunnel/connect-target.ts';
import type { TunnelScope, TunnelService } from '../tunnel/tunnel-service.ts';
import { deleteSshSecrets, readSshSecrets, saveSshSecrets, sshSecretsSaved } from './ssh-secrets.ts';
import { sshRouteIdentity } from '../tunnel/tunnel-service.ts';
import { listDatabases, testConnection, type DatabaseListResult } from './connection-test.ts';
import { draftSshSecrets, fieldsFromInput } from './profile-draft.ts';
import { connectionFromEnv, connectionsFromPgpass, defaultPgpassPath, lookupPgpass, parseConnectionUri, parsePgpass, type ParsedConnection } from './profile-import.ts';
import { JsonFileStore } from '../settings/json-file-store.ts';

interface ProfileFile {
  profiles: Profile[];
}

const secretAccount = (id: string) => `profile:${id}`;

/** Connection profiles: fields on disk (profiles.json), passwords in the SecretStore only. */
export class ProfileService {
  readonly #file: JsonFileStore<ProfileFile>;
  readonly #secrets: SecretStore;
  readonly #tools: ToolResolver;
  readonly #clock: Clock;
  readonly #tunnels: TunnelService;

  constructor(deps: { dataDir: string; secrets: SecretStore; tools: ToolResolver; clock: Clock; tunnels: TunnelService }) {
    this.#file = new JsonFileStore<ProfileFile>(deps.dataDir, 'profiles', { profiles: [] });
    this.#secrets = deps.secrets;
    this.#tools = deps.tools;
    this.#clock = deps.clock;
    this.#tunnels = deps.tunnels;
  }

  async list(): Promise<ProfileSummary[]> {
    return Promise.all(this.#all().map((profile) => this.#summary(profile)));
  }

  async get(idOrName: string): Promise<ProfileSummary> {
    return this.#summary(this.#find(idOrName));
  }

  /**
   * The profile as stored, without asking the keychain whether it has a password: for its name, route
   * or scope (engine work only). Each keychain read is a D-Bus round trip and the keyring daemon's CPU
   * (~10 ms of this thread for the first read of an account), three of them before every backup.
   */
  stored(idOrName: string): Profile {
    return { ...this.#find(idOrName) };
  }

  /**
   * The profile and its password, ready to connect within `scope` (a job): a profile with an SSH
   * section comes back routed through a tunnel that closes when the scope ends.
   */
  async resolveForConnection(idOrName: string, scope?: TunnelScope): Promise<{ profile: ConnectTarget; password: string | null }> {
    const profile = this.#find(idOrName);
    const password = await this.#password(profile);
    return { profile: await this.#tunnels.route(profile, scope), password };
  }

  async #password(profile: Profile): Promise<string | null> {
    const saved = passwordBound(profile) ? await this.#secrets.get(secretAccount(profile.id)) : null;
    // Like libpq: without a saved password, ~/.pgpass (or PGPASSFILE) may have one — what unattended
    // jobs (cron, servers without a desktop keychain) rely on. Not through SSH: a .pgpass line names
    // a host as this computer sees it, and "localhost" there is not the bastion's localhost.
    if (saved !== null || profile.ssh) return saved;
    return pgpassPassword(profile);
  }

  /**
   * The fields an add (no id) or an edit of `id` would save, checked as they would be — nothing is
   * saved: for main to ask about what changes before it saves (e.g. new canary queries).
   */
  check(input: ProfileInput, id?: string): ProfileFields {
    const existing = id === undefined ? undefined : this.#find(id);
    const fields = fieldsFromInput(input, existing);
    this.#assertNameFree(fields.name, existing?.id);
    return fields;
  }

  async add(input: ProfileInput): Promise<ProfileSummary> {
    const fields = fieldsFromInput(input);
    this.#assertNameFree(fields.name);
    const now = this.#clock.now().toISOString();
    const profile: Profile = { id: randomUUID(), ...fields, createdAt: now, updatedAt: now };
    if (typeof input.password === 'string' && input.password !== '') {
      await this.#secrets.set(secretAccount(profile.id), input.password);
      profile.passwordEndpoint = endpointOf(profile);
    }
    await saveSshSecrets(this.#secrets, null, profile, input.sshSecrets);
    this.#save([...this.#all(), profile]);
    return this.#summary(profile);
  }

  async update(id: string, input: ProfileInput): Promise<ProfileSummary> {
    const existing = this.#find(id);
    // An edit that does not mention SSH, the scope, the backup folder or the canaries keeps them; null removes them.
    const fields = fieldsFromInput(input, existing);
    this.#assertNameFree(fields.name, existing.id);
    const profile: Profile = { id: existing.id, ...fields, createdAt: existing.createdAt, updatedAt: this.#clock.now().toISOString() };
    await this.#bindPassword(existing, profile, input);
    await saveSshSecrets(this.#secrets, existing, profile, input.sshSecrets);
    this.#save(this.#all().map((p) => (p.id === profile.id ? profile : p)));
    return this.#summary(profile);
  }

  /**
   * A saved password belongs to the server it was given for (host, port, user): a new password is
   * bound to the new server; with none given, moving the profile elsewhere forgets the saved one —
   * "Test" would otherwise send it to whatever host the profile now names — unless the user chose
   * to keep it for the new server.
   */
  async #bindPassword(existing: Profile, profile: Profile, input: ProfileInput): Promise<void> {
    const account = secretAccount(profile.id);
    if (typeof input.password === 'string' && input.password !== '') {
      await this.#secrets.set(account, input.password);
      profile.passwordEndpoint = endpointOf(profile);
    } else if (input.password === null) {
      await this.#secrets.delete(account);
    } else if (passwordBound(existing) && (endpointOf(profile) === endpointOf(existing) || input.keepPasswordForNewServer === true)) {
      if ((await this.#secrets.get(account)) !== null) profile.passwordEndpoint = endpointOf(profile);
    } else {
      await this.#secrets.delete(account);
    }
  }

  /**
   * Where the saved password would go that it was not given for: the old and the new server, when the
   * input asks to keep it for a profile moved to another host, port, user or SSH route; else null.
   * The page asks for that with a flag, so main confirms it with the user first (handlers.ts).
   */
  passwordMove(id: string, input: ProfileInput): { from: string; to: string } | null {
    const typed = (typeof input.password === 'string' && input.password !== '') || input.password === null;
    if (typed || input.keepPasswordForNewServer !== true) return null;
    const saved = this.#find(id);
    const draft = this.#draft(input, saved);
    if (!passwordBound(saved) || endpointOf(draft) === endpointOf(saved)) return null;
    return { from: serverLabel(saved), to: serverLabel(draft) };
  }

  /** A copy named "<name> copy" (numbered when taken), including the saved password (same server). */
  async duplicate(id: string): Promise<ProfileSummary> {
    const source = this.#find(id);
    const taken = new Set(this.#all().map((p) => p.name.toLowerCase()));
    let name = `${source.name} copy`;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${source.name} copy ${n}`;
    const password = passwordBound(source) ? await this.#secrets.get(secretAccount(source.id)) : null;
    const sshSecrets = await readSshSecrets(this.#secrets, source);
    const { id: _id, createdAt: _c, updatedAt: _u, passwordEndpoint: _e, ...fields } = source;
    return this.add({ ...fields, name, password, sshSecrets: sshSecrets.map((secret) => secret ?? undefined) });
  }

  async remove(idOrName: string): Promise<void> {
    const profile = this.#find(idOrName);
    await this.#secrets.delete(secretAccount(profile.id));
    await this.#secrets.delete(webhookAccount(profile.id)).catch(() => {}); // most profiles have none
    await deleteSshSecrets(this.#secrets, profile);
    this.#save(this.#all().filter((p) => p.id !== profile.id));
  }

  /** Proposals to review before saving; passwords found are kept in the engine until then. */
  async importCandidates(source: { kind: 'uri'; uri: string } | { kind: 'pgpass'; file?: string } | { kind: 'env' }): Promise<ImportCandidate[]> {
    return (await this.#parse(source)).map(({ fields, password, source: from }) => ({ fields, hasPassword: password !== null, source: from }));
  }

  /** Saves an import; a password found in the source goes to the keychain. */
  async importAndSave(
    source: { kind: 'uri'; uri: string } | { kind: 'pgpass'; file?: string } | { kind: 'env' },
    overrides: { name?: string; password?: string | null } = {},
  ): Promise<ProfileSummary[]> {
    const parsed = await this.#parse(source);
    const saved: ProfileSummary[] = [];
    for (const item of parsed) {
      const name = parsed.length === 1 && overrides.name ? overrides.name : item.fields.name;
      const password = overrides.password !== undefined ? overrides.password : item.password;
      saved.push(await this.add({ ...item.fields, name, password }));
    }
    return saved;
  }

  /**
   * Connects, reads version and size, and names the pg_dump/pg_restore Lifeboat will use; through the
   * profile's SSH tunnel when it has one, reporting each hop. `acceptHostKeys`: fingerprints the user
   * has just accepted (the app's dialog, the CLI's prompt or --accept-host-key).
   */
  async test(idOrName: string, options: { acceptHostKeys?: readonly string[] } = {}): Promise<ConnectionTestResult> {
    try {
      const profile = this.#find(idOrName);
      const password = await this.#password(profile);
      return await testConnection({ profile, password, tools: this.#tools, tunnels: this.#tunnels, acceptHostKeys: options.acceptHostKeys ?? [] });
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  }

  /**
   * "Test" in the add/edit form: the fields as typed, before saving, and the server's databases to pick
   * from. With `profileId` (an edit), a password or SSH secret left unchanged is the saved one, used
   * only where saving would keep it (the same server, or the user chose to keep it for the new one).
   */
  async testInput(input: ProfileInput, profileId: string | null, options: { acceptHostKeys?: readonly string[] } = {}): Promise<ConnectionTestResult> {
    try {
      const saved = profileId === null ? undefined : this.#find(profileId);
      const profile = this.#draft(input, saved);
      const password = await this.#draftPassword(input, profile, saved);
      const sshSecrets = draftSshSecrets(profile, saved, input.sshSecrets);
      return await testConnection({ profile, password, sshSecrets, tools: this.#tools, tunnels: this.#tunnels, acceptHostKeys: options.acceptHostKeys ?? [], listDatabases: true });
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  }

  /** The databases on a saved profile's server that its user may connect to (the CLI's `profile databases`). */
  async databases(idOrName: string, options: { acceptHostKeys?: readonly string[] } = {}): Promise<DatabaseListResult> {
    try {
      const profile = this.#find(idOrName);
      const password = await this.#password(profile);
      return await listDatabases({ profile, password, tools: this.#tools, tunnels: this.#tunnels, acceptHostKeys: options.acceptHostKeys ?? [] });
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  }

  /**
   * An unsaved profile, as far as connecting goes: the backup folder and the canaries play no part
   * (a save checks them). A new one gets an id of its own, so no saved secret is found for it.
   */
  #draft(input: ProfileInput, saved: Profile | undefined): Profile {
    const now = this.#clock.now().toISOString();
    const fields = fieldsFromInput({ ...input, backupFolder: null, canaryQueries: null }, saved);
    return { id: saved?.id ?? `draft-${randomUUID()}`, ...fields, createdAt: saved?.createdAt ?? now, updatedAt: now };
  }

  /** The password a draft connects with: as #bindPassword would leave it after saving, then ~/.pgpass like #password. */
  async #draftPassword(input: ProfileInput, draft: Profile, saved: Profile | undefined): Promise<string | null> {
    if (typeof input.password === 'string' && input.password !== '') return input.password;
    const keeps = input.password === undefined && saved !== undefined && passwordBound(saved) && (endpointOf(draft) === endpointOf(saved) || input.keepPasswordForNewServer === true);
    const kept = keeps ? await this.#secrets.get(secretAccount(saved.id)) : null;
    if (kept !== null || draft.ssh) return kept;
    return pgpassPassword(draft);
  }

  async #parse(source: { kind: 'uri'; uri: string } | { kind: 'pgpass'; file?: string } | { kind: 'env' }): Promise<ParsedConnection[]> {
    if (source.kind === 'uri') return [parseConnectionUri(source.uri)];
    const file = source.kind === 'pgpass' && source.file ? source.file : defaultPgpassPath();
    const text = await readPgpass(file).catch((error: LifeboatError) => {
      const missing = (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
      if (source.kind === 'env' && missing) return '';
      throw new LifeboatError('IMPORT_FAILED', missing ? `Could not read ${file}: the file does not exist.` : error.message, 'Choose an existing .pgpass file.', { cause: error });
    });
    if (source.kind === 'env') return [connectionFromEnv(process.env, parsePgpass(text))];
    const found = connectionsFromPgpass(text, file);
    if (found.length === 0) throw new LifeboatError('IMPORT_FAILED', `${file} has no usable lines (host:port:database:user:password, with a concrete host and user).`, 'Check the file, or import from a URI instead.');
    return found;
  }

  #all(): Profile[] {
    return this.#file.get('profiles');
  }

  #save(profiles: Profile[]): void {
    this.#file.set('profiles', profiles);
  }

  #find(idOrName: string): Profile {
    const all = this.#all();
    const profile = all.find((p) => p.id === idOrName) ?? all.find((p) => p.name.toLowerCase() === idOrName.toLowerCase());
    if (!profile) {
      const names = all.map((p) => p.name).join(', ');
      throw new LifeboatError('PROFILE_NOT_FOUND', `There is no profile named "${idOrName}".`, names ? `Known profiles: ${names}.` : 'Add one first with "lifeboat profile add NAME --url postgres://user@host/db".');
    }
    return profile;
  }

  #assertNameFree(name: string, exceptId?: string): void {
    if (this.#all().some((p) => p.name.toLowerCase() === name.toLowerCase() && p.id !== exceptId)) {
      throw new LifeboatError('PROFILE_EXISTS', `A profile named "${name}" already exists.`, 'Choose another name, or edit the existing profile.');
    }
  }

  async #summary(profile: Profile): Promise<ProfileSummary> {
    const has = passwordBound(profile) && (await this.#secrets.get(secretAccount(profile.id))) !== null;
    const summary: ProfileSummary = { ...profile, passwordStorage: has ? this.#secrets.storage : 'none' };
    if (profile.ssh) summary.sshSecretsSaved = await sshSecretsSaved(this.#secrets, profile);
    return summary;
  }
}

/** libpq reads any size; one far past this is not a password file, and a pipe there is refused, not waited on. */
const MAX_PGPASS_BYTES = 1024 * 1024;

async function readPgpass(file: string): Promise<string> {
  const tooBig = () => new LifeboatError('IMPORT_FAILED', `${file} is over 1 MiB: not a .pgpass file Lifeboat reads.`, 'Choose the .pgpass file itself.');
  return (await readSmallUserFile(file, MAX_PGPASS_BYTES, tooBig)).toString('utf8');
}

async function pgpassPassword(profile: Profile): Promise<string | null> {
  const text = await readPgpass(defaultPgpassPath()).catch(() => null);
  return text ? lookupPgpass(parsePgpass(text), profile) : null;
}

/**
 * The server a password is for: host, port and user — and, through SSH, the bastion that sees that
 * host (localhost:5432 behind one bastion is not localhost:5432 behind another).
 */
function serverLabel(profile: Pick<Profile, 'host' | 'port' | 'user' | 'ssh'>): string {
  return `${profile.user}@${profile.host}:${profile.port}${profile.ssh ? ` through SSH via ${profile.ssh.host}` : ''}`;
}

export function endpointOf(profile: Pick<Profile, 'host' | 'port' | 'user' | 'ssh'>): string {
  const base = [profile.host, profile.port, profile.user];
  return JSON.stringify(profile.ssh ? [...base, sshRouteIdentity(profile.ssh)] : base);
}

/**
 * Whether the saved password may be sent to the server the profile names now. A profile saved by
 * an older Lifeboat has no binding: its password belongs to the server it names.
 */
function passwordBound(profile: Profile): boolean {
  return profile.passwordEndpoint === undefined || profile.passwordEndpoint === endpointOf(profile);
}
