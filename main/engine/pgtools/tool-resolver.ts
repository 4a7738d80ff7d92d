import { access, constants, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import type { PgTool, PgToolName, ToolSource, ToolsReport } from '../types.ts';
import { readToolVersion } from './tool-version.ts';

export const PG_TOOL_NAMES: readonly PgToolName[] = ['pg_dump', 'pg_restore', 'pg_dumpall', 'psql'];

const SOURCE_ORDER: readonly ToolSource[] = ['override', 'bundled', 'configured', 'path', 'well-known'];

export interface ToolResolverOptions {
  /** Folder of the PostgreSQL 18 client bundle shipped with Lifeboat (its bin/). */
  bundledDir: string | null;
  /** Folder the user configured in Settings. */
  configuredDir: () => string | null;
  /** A JSON file remembering each binary's version (by path, size and mtime), so runs skip `--version`. */
  versionCache?: string;
  /** When set, only this folder is used (LIFEBOAT_PG_BIN or --pg-bin): for pinning or testing an older client. */
  overrideDir: string | null;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

interface Folder {
  dir: string;
  source: ToolSource;
}

/** Finds PostgreSQL client tools and picks, for a server, the newest one whose major is ≥ the server's. */
export class ToolResolver {
  readonly #options: ToolResolverOptions;
  #cache: Promise<PgTool[]> | null = null;

  constructor(options: ToolResolverOptions) {
    this.#options = options;
  }

  /** Forget what was found (after the configured folder changed). */
  refresh(): void {
    this.#cache = null;
  }

  async report(): Promise<ToolsReport> {
    const tools = await this.list();
    const chosen: ToolsReport['chosen'] = {};
    for (const name of PG_TOOL_NAMES) {
      const best = rank(tools.filter((tool) => tool.name === name))[0];
      if (best) chosen[name] = best;
    }
    return { tools, chosen, bundledDir: this.#options.bundledDir, overrideDir: this.#options.overrideDir };
  }

  list(): Promise<PgTool[]> {
    this.#cache ??= this.#discover();
    return this.#cache;
  }

  /** The tool to use against a server of `serverMajor` (or the newest one when unknown). */
  async choose(name: PgToolName, serverMajor: number | null, serverVersion?: string): Promise<PgTool> {
    const all = (await this.list()).filter((tool) => tool.name === name);
    if (all.length === 0) {
      const where = this.#options.overrideDir ? `in ${this.#options.overrideDir} (set by LIFEBOAT_PG_BIN / --pg-bin)` : 'in the bundled tools, the configured folder, PATH or the usual install folders';
      throw new LifeboatError('TOOL_NOT_FOUND', `No ${name} was found ${where}.`, this.#options.overrideDir
        ? `Point LIFEBOAT_PG_BIN / --pg-bin at a folder that contains ${name}, or remove it to use Lifeboat's bundled tools.`
        : `Install the PostgreSQL client tools (or rebuild the bundle with "npm run pg-tools") and set their folder in Settings.`);
    }
    const suitable = rank(all.filter((tool) => serverMajor === null || tool.major >= serverMajor));
    const best = suitable[0];
    if (best) return best;
    const newest = rank(all)[0]!;
    const server = serverVersion ? `PostgreSQL ${serverVersion}` : `PostgreSQL ${serverMajor}`;
    const why = name === 'pg_restore' ? 'an older pg_restore cannot read archives written by newer pg_dump' : `${name} refuses to work with a newer server ("server version mismatch")`;
    throw new LifeboatError(
      'TOOL_TOO_OLD',
      `${name} ${newest.version} (${newest.path}) is older than the server (${server}): ${why}.`,
      this.#options.overrideDir
        ? `Remove the LIFEBOAT_PG_BIN / --pg-bin override so Lifeboat uses its bundled PostgreSQL 18 tools, or point it at PostgreSQL ${serverMajor} (or newer) client tools.`
        : `Install PostgreSQL ${serverMajor} (or newer) client tools and set their folder in Settings → PostgreSQL tools, or rebuild Lifeboat's bundled tools with "npm run pg-tools".`,
    );
  }

  async #discover(): Promise<PgTool[]> {
    const folders = await this.#folders();
    const seen = new Set<string>();
    const found: PgTool[] = [];
    for (const folder of folders) {
      const results = await Promise.all(PG_TOOL_NAMES.map((name) => this.#probe(folder, name)));
      for (const tool of results) {
        if (!tool) continue;
        // Same binary reached twice (symlinks, PATH entries); wrappers like Debian's pg_wrapper
        // serve several names, so the name is part of the identity.
        const real = await realpath(tool.path).catch(() => tool.path);
        // Debian's /usr/bin/pg_dump is a dispatcher to /usr/lib/postgresql/N/bin, which is listed itself.
        if (path.basename(real) === 'pg_wrapper') continue;
        const identity = `${tool.name}:${real}`;
        if (seen.has(identity)) continue;
        seen.add(identity);
        found.push(tool);
      }
    }
    await this.#saveVersions();
    return found;
  }

  async #probe(folder: Folder, name: PgToolName): Promise<PgTool | null> {
    const exe = (this.#options.platform ?? process.platform) === 'win32' ? `${name}.exe` : name;
    const toolPath = path.join(folder.dir, exe);
    try {
      await access(toolPath, constants.X_OK);
    } catch {
      return null;
    }
    const parsed = await this.#version(toolPath);
    return parsed ? { name, path: toolPath, version: parsed.version, major: parsed.major, source: folder.source } : null;
  }

  #versions: Promise<Record<string, { key: string; version: string; major: number }>> | null = null;
  #versionsChanged = false;

  /** `tool --version`, remembered per binary (size + mtime) across runs: a backup starts ~10 processes sooner. */
  async #version(toolPath: string): Promise<{ version: string; major: number } | null> {
    const cacheFile = this.#options.versionCache;
    const info = await stat(toolPath).catch(() => null);
    if (!cacheFile || !info) return readToolVersion(toolPath);
    // A damaged or half-written cache is just a cold cache.
    this.#versions ??= readFile(cacheFile, 'utf8').then((t) => JSON.parse(t) as Record<string, { key: string; version: string; major: number }>).catch(() => ({}));
    const versions = await this.#versions;
    const key = `${info.size}:${info.mtimeMs}`;
    const known = versions[toolPath];
    if (known && known.key === key) return { version: known.version, major: known.major };
    const parsed = await readToolVersion(toolPath);
    if (parsed) {
      versions[toolPath] = { key, ...parsed };
      this.#versionsChanged = true;
    }
    return parsed;
  }

  /** Written once per discovery, through a temporary file, so concurrent processes never read half a file. */
  async #saveVersions(): Promise<void> {
    const cacheFile = this.#options.versionCache;
    if (!cacheFile || !this.#versions || !this.#versionsChanged) return;
    this.#versionsChanged = false;
    const temp = `${cacheFile}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      await writeFile(temp, JSON.stringify(await this.#versions), { mode: 0o600 });
      await rename(temp, cacheFile);
    } catch {
      await rm(temp, { force: true }).catch(() => {});
    }
  }

  async #folders(): Promise<Folder[]> {
    const { overrideDir, bundledDir } = this.#options;
    if (overrideDir) return [{ dir: overrideDir, source: 'override' }];
    const env = this.#options.env ?? process.env;
    const platform = this.#options.platform ?? process.platform;
    const folders: Folder[] = [];
    if (bundledDir) folders.push({ dir: bundledDir, source: 'bundled' });
    const configured = this.#options.configuredDir();
    if (configured) folders.push({ dir: configured, source: 'configured' });
    for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) folders.push({ dir, source: 'path' });
    for (const dir of await wellKnownFolders(platform, env)) folders.push({ dir, source: 'well-known' });
    return folders;
  }
}

/** Newest major first; within a major, the earlier source in the resolution order wins. */
function rank(tools: PgTool[]): PgTool[] {
  return [...tools].sort((a, b) => b.major - a.major || SOURCE_ORDER.indexOf(a.source) - SOURCE_ORDER.indexOf(b.source));
}

/** Folders where PostgreSQL installers put their binaries, one per installed version. */
export async function wellKnownFolders(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Promise<string[]> {
  const patterns: { parent: string; suffix: string }[] =
    platform === 'win32'
      ? [{ parent: path.join(env.ProgramFiles ?? 'C:\\Program Files', 'PostgreSQL'), suffix: 'bin' }]
      : platform === 'darwin'
        ? [
            { parent: '/Applications/Postgres.app/Contents/Versions', suffix: 'bin' },
            { parent: '/opt/homebrew/opt', suffix: 'bin' },
            { parent: '/usr/local/opt', suffix: 'bin' },
            { parent: '/Library/PostgreSQL', suffix: 'bin' },
          ]
        : [
            { parent: '/usr/lib/postgresql', suffix: 'bin' },
            { parent: '/usr', suffix: 'bin' },
            { parent: '/opt', suffix: 'bin' },
          ];
  const folders: string[] = [];
  for (const { parent, suffix } of patterns) {
    let entries: string[];
    try {
      entries = await readdir(parent);
    } catch {
      continue;
    }
    const relevant = entries.filter((entry) => /^(\d+(\.\d+)?|postgresql(@\d+)?|pgsql-\d+|postgresql-\d+|latest)$/.test(entry));
    relevant.sort((a, b) => (parseFloat(b.replace(/\D+/, '')) || 0) - (parseFloat(a.replace(/\D+/, '')) || 0));
    for (const entry of relevant) folders.push(path.join(parent, entry, suffix));
  }
  return folders;
}
