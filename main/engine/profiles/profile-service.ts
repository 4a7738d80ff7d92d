import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import { webhookAccount, type SecretStore } from '../secrets/secret-store.ts';
import type { Clock } from '../ports.ts';
import type { ConnectionTestResult, ImportCandidate, Profile, ProfileInput, ProfileSummary } from '../types.ts';
import type { ConnectTarget } from '../tunnel/connect-target.ts';
import type { TunnelScope, TunnelService } from '../tunnel/tunnel-service.ts';
import { deleteSshSecrets, readSshSecrets, saveSshSecrets, sshSecretsSaved } from './ssh-secrets.ts';
import { sshRouteIdentity } from '../tunnel/tunnel-service.ts';
import { testConnection } from './connection-test.ts';
import { connectionFromEnv, connectionsFromPgpass, defaultPgpassPath, lookupPgpass, parseConnectionUri, parsePgpass, type ParsedConnection } from './profile-import.ts';
import { normaliseProfileFields } from './profile-validation.ts';
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

  /** The stored profile plus its password, for engine work only (never returned over IPC). */
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

  async add(input: ProfileInput): Promise<ProfileSummary> {
    const fields = normaliseProfileFields({ ...input, ssh: input.ssh ?? undefined, scope: input.scope ?? undefined, backupFolder: input.backupFolder ?? undefined, canaryQueries: input.canaryQueries ?? undefined });
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
    // An edit that does not mention SSH (an older form, a script) keeps the tunnel; null removes it.
    const ssh = input.ssh === undefined ? existing.ssh : (input.ssh ?? undefined);
    // Likewise the database scope, the backup folder and the canaries: an edit that does not mention
    // them keeps them (a form that does not show them must not move the backups or drop the canaries).
    const scope = input.scope === undefined ? existing.scope : (input.scope ?? undefined);
    const backupFolder = input.backupFolder === undefined ? existing.backupFolder : (input.backupFolder ?? undefined);
    const canaryQueries = input.canaryQueries === undefined ? existing.canaryQueries : (input.canaryQueries ?? undefined);
    const fields = normaliseProfileFields({ ...input, ssh, scope, backupFolder, canaryQueries });
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

  async #parse(source: { kind: 'uri'; uri: string } | { kind: 'pgpass'; file?: string } | { kind: 'env' }): Promise<ParsedConnection[]> {
    if (source.kind === 'uri') return [parseConnectionUri(source.uri)];
    const file = source.kind === 'pgpass' && source.file ? source.file : defaultPgpassPath();
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (source.kind === 'env' && error.code === 'ENOENT') return '';
      throw new LifeboatError('IMPORT_FAILED', `Could not read ${file}: ${error.code === 'ENOENT' ? 'the file does not exist' : error.message}.`, 'Choose an existing .pgpass file.');
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

async function pgpassPassword(profile: Profile): Promise<string | null> {
  const text = await readFile(defaultPgpassPath(), 'utf8').catch(() => null);
  return text ? lookupPgpass(parsePgpass(text), profile) : null;
}

/**
 * The server a password is for: host, port and user — and, through SSH, the bastion that sees that
 * host (localhost:5432 behind one bastion is not localhost:5432 behind another).
 */
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
