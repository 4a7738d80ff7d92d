// Imports a Host alias from an OpenSSH client config as a profile's SSH tunnel settings, resolving it
// the way `ssh` does: tests/engine/ssh-config-import.test.ts checks it against the real `ssh -G`.
//
// The `ssh-config` package parses the file and does OpenSSH's "first value wins" (compute()). Its own
// idea of which blocks apply differs from OpenSSH's, though: `?` matches zero or one character, commas
// split Host patterns, `Match host` ignores HostName's %h and letter case, and Include is not followed.
// So this file decides which Host and Match blocks apply, with OpenSSH's rules (readconf.c), and hands
// compute() only the blocks that do, each as a `Host *` section. It never runs `Match exec` commands
// and never lets compute() look names up in DNS (CanonicalDomains is dropped, canonicalising refused).
import { createHash } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import SSHConfig, { type Directive, type Line, type Section } from 'ssh-config';
import { LifeboatError } from '../errors.ts';
import { readSmallUserFile } from '../files/user-file.ts';

// Structurally identical to the tunnel types of model/profile.ts, to be swapped for imports from there.
import type { SshHop, SshSettings } from '../model/profile.ts';
export type { SshAuthMethod, SshHop, SshSettings } from '../model/profile.ts';

export interface SshConfigImportOptions {
  /** The config to read; default ~/.ssh/config. */
  configFile?: string;
  /** The home folder `~` and %d stand for; default os.homedir(). */
  home?: string;
  /** The local user name (%u, and the remote user when the config names none); default the current user. */
  localUser?: string;
  /** Whether an SSH agent can be used; default: SSH_AUTH_SOCK is set. */
  agentAvailable?: boolean;
}

/** The config and every file it includes, together: real configs are a few kilobytes. */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** OpenSSH's own limit on nested Include (READCONF_MAX_DEPTH). */
const MAX_INCLUDE_DEPTH = 16;
const MAX_HOPS = 8;
/** The default keys ssh would try, in the order Lifeboat prefers them (strongest first). */
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
const DEFAULT_KEEPALIVE_SECONDS = 30;
/** Characters ssh refuses in a host name given on its command line (ssh.c valid_hostname). */
const BAD_HOST_CHARACTERS = /[\s\p{Cc}'`"$\\;&<>|(){},]/u;

type Values = Record<string, string | string[]>;
interface ConfigFile { file: string; lines: SSHConfig }
interface ConfigTree { root: ConfigFile; included: Map<Line, ConfigFile[]> }
interface LoadState { home: string; localUser: string; budget: number; included: Map<Line, ConfigFile[]> }
/** A jump host as written in ProxyJump: `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
interface JumpTarget { host: string; user?: string; port?: number }
/** What ssh is asked to reach: an alias, with what its command line would override (-l, -p, -J). */
interface HopRequest { alias: string; user?: string; port?: number; jumps?: JumpTarget[]; jumpText?: string }
interface ResolvedHop { hop: SshHop; jumps: SshHop[]; keepAliveSeconds: number }
interface ImportContext { tree: ConfigTree; home: string; localUser: string; agentAvailable: boolean; defaultKey: () => string | undefined }
/** Directives that apply (their Host block matched), or a Match block still to be decided. */
type Block = { kind: 'apply'; directives: Directive[] } | { kind: 'match'; line: Section };
interface Blocks { list: Block[]; named: boolean }

/**
 * Resolves `alias` from an OpenSSH client config (HostName, User, Port, IdentityFile, ProxyJump,
 * ServerAliveInterval) into tunnel settings. Throws IMPORT_FAILED, with a fix, when the alias is not in
 * the file or the config uses something Lifeboat cannot reproduce (ProxyCommand, Match exec, ...).
 */
export async function importSshConfig(alias: string, options: SshConfigImportOptions = {}): Promise<SshSettings> {
  const home = options.home ?? os.homedir();
  const localUser = options.localUser ?? currentUser();
  checkHostName(alias, 'The Host alias');
  if (alias.includes('@')) fail(`"${alias}" is not a Host alias.`, 'Give the alias alone (the name after Host in the SSH config), without user@.');
  const configFile = expandTilde(options.configFile ?? path.join(home, '.ssh', 'config'), home, localUser);
  const tree = await loadConfigTree(configFile, home, localUser);
  const ctx: ImportContext = { tree, home, localUser, agentAvailable: options.agentAvailable ?? Boolean(process.env.SSH_AUTH_SOCK), defaultKey: defaultKeyFinder(home) };
  const resolved = resolveHop(ctx, { alias }, []);
  checkChain(alias, resolved);
  return { ...resolved.hop, jumps: resolved.jumps, keepAliveSeconds: resolved.keepAliveSeconds };
}

function fail(message: string, fix: string): never {
  throw new LifeboatError('IMPORT_FAILED', message, fix);
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // os.userInfo() throws for a uid with no passwd entry (some containers).
    return process.env.USER ?? process.env.USERNAME ?? '';
  }
}

// ---- Reading the files ------------------------------------------------------------------------------

async function loadConfigTree(file: string, home: string, localUser: string): Promise<ConfigTree> {
  const state: LoadState = { home, localUser, budget: MAX_CONFIG_BYTES, included: new Map() };
  const root = await loadFile(file, state, 0);
  if (!root) throw new Error(`unreachable: ${file} is required`);
  return { root, included: state.included };
}

/** Reads and parses one file and, depth first, the files it includes. Null for a missing included file. */
async function loadFile(file: string, state: LoadState, depth: number): Promise<ConfigFile | null> {
  const text = await readConfigText(file, state, depth === 0);
  if (text === null) return null;
  let lines: SSHConfig;
  try {
    lines = SSHConfig.parse(text);
  } catch (error) {
    fail(`${file} could not be read as an SSH config: ${error instanceof Error ? error.message : String(error)}.`, 'Fix that line (ssh -G <alias> reports the same file), then import again.');
  }
  for (const { line, inMatch } of includeLines(lines)) {
    const shown = `Include ${valueList(line.value).join(' ')}`;
    // ssh applies an Include inside a Match block only when the Match does, which is decided later, per
    // host, and nothing here can splice a file in then.
    if (inMatch) fail(`${file}: "${shown}" is inside a Match block, which Lifeboat cannot follow.`, 'Move the Include out of the Match block, or import from the included file directly.');
    if (depth + 1 > MAX_INCLUDE_DEPTH) fail(`${file}: "${shown}" nests Include more than ${MAX_INCLUDE_DEPTH} deep (ssh stops there too).`, 'Check for a file that includes itself.');
    const children: ConfigFile[] = [];
    for (const target of await includeTargets(line, state)) {
      const child = await loadFile(target, state, depth + 1);
      if (child) children.push(child);
    }
    state.included.set(line, children);
  }
  return { file, lines };
}

async function readConfigText(file: string, state: LoadState, required: boolean): Promise<string | null> {
  let size: number;
  try {
    const info = await stat(file);
    // ssh skips what an Include pattern matches that is not a file; the chosen file itself must be one.
    if (!info.isFile() && !required) return null;
    if (!info.isFile()) fail(`${file} is not a file.`, 'Choose the SSH config file itself (usually ~/.ssh/config).');
    size = info.size;
  } catch (error) {
    if (error instanceof LifeboatError) throw error;
    if (!isMissing(error)) fail(`Could not read ${file}: ${(error as Error).message}.`, 'Check the file and its permissions, or choose another file.');
    // ssh ignores an Include that matches nothing; only the chosen config must exist.
    if (!required) return null;
    fail(`There is no SSH config file at ${file}.`, 'Choose the SSH config file that defines the host (ssh reads ~/.ssh/config), or add a Host block for it there.');
  }
  const tooBig = () => new LifeboatError('IMPORT_FAILED', `${file} makes the SSH config (with the files it includes) larger than 1 MiB, which Lifeboat does not read.`, 'Choose a smaller config file that defines the host.');
  if (size > state.budget) throw tooBig();
  // Read through the user-file opener: a pipe put in the file's place after the stat is refused, not waited on.
  const text = await readSmallUserFile(file, state.budget, tooBig).catch((error: unknown) => {
    if (error instanceof LifeboatError && error.code !== 'IMPORT_FAILED') fail(error.message, 'Check the file and its permissions, or choose another file.');
    throw error;
  });
  state.budget -= text.byteLength;
  return text.toString('utf8');
}

/** Every Include line, at the top of the file or inside a Host or Match block. */
function* includeLines(lines: SSHConfig): Generator<{ line: Directive; inMatch: boolean }> {
  for (const line of lines) {
    if (!isDirective(line)) continue;
    if (!isSection(line)) {
      if (isInclude(line)) yield { line, inMatch: false };
      continue;
    }
    for (const sub of line.config) {
      if (isDirective(sub) && isInclude(sub)) yield { line: sub, inMatch: isMatch(line) };
    }
  }
}

/**
 * The files an Include line names, as ssh finds them: `~` is the home folder, a relative path is in
 * ~/.ssh, and wildcards expand in sorted order, skipping dot files. Only the file name may hold
 * wildcards here (ssh's glob(3) takes them anywhere): that covers `Include config.d/*`.
 */
async function includeTargets(line: Directive, state: LoadState): Promise<string[]> {
  const targets: string[] = [];
  for (const arg of valueList(line.value)) {
    const anchored = arg.startsWith('~') ? expandTilde(arg, state.home, state.localUser) : path.isAbsolute(arg) ? arg : path.join(state.home, '.ssh', arg);
    const folder = path.dirname(anchored);
    const name = path.basename(anchored);
    if (/[[\]]/.test(anchored) || /[*?]/.test(folder)) fail(`"Include ${arg}": Lifeboat follows * and ? only in the file name, not in folder names or [ ] ranges.`, 'List the included files one by one, or import from the included file directly.');
    if (!/[*?]/.test(name)) {
      targets.push(anchored);
      continue;
    }
    const pattern = patternRegExp(name, false);
    const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => (isMissing(error) ? [] : fail(`Could not list ${folder} for "Include ${arg}": ${error.message}.`, 'Check the folder and its permissions.')));
    targets.push(...names.filter((n) => (!n.startsWith('.') || name.startsWith('.')) && pattern.test(n)).sort().map((n) => path.join(folder, n)));
  }
  return targets;
}

// ---- Which blocks apply -----------------------------------------------------------------------------

/**
 * Walks the config as ssh reads it for `alias`, in order, through Include: directives at the top and in
 * Host blocks that match become 'apply' blocks, Match blocks stay to be decided, everything else is
 * skipped. `named` is set when a Host pattern other than a bare `*` matched the alias.
 */
function collectBlocks(tree: ConfigTree, file: ConfigFile, alias: string, blocks: Blocks): void {
  let current: Directive[] | null = [];
  blocks.list.push({ kind: 'apply', directives: current });
  const take = (line: Directive): void => {
    if (current === null) return;
    if (!isInclude(line)) {
      // CanonicalDomains is what makes compute() run nslookup; canonicalising is refused anyway.
      if (!/^canonicaldomains$/i.test(line.param)) current.push(line);
      return;
    }
    for (const child of tree.included.get(line) ?? []) collectBlocks(tree, child, alias, blocks);
    // After an Include, ssh goes back to the including block's state: it applied, or we would not be here.
    current = [];
    blocks.list.push({ kind: 'apply', directives: current });
  };
  for (const line of file.lines) {
    if (!isDirective(line)) continue;
    if (!isSection(line)) {
      take(line);
    } else if (isMatch(line)) {
      checkMatchCriteria(line, file.file);
      blocks.list.push({ kind: 'match', line });
      current = null;
    } else {
      current = hostLineApplies(line, alias, blocks) ? [] : null;
      if (current) blocks.list.push({ kind: 'apply', directives: current });
      for (const sub of line.config) if (isDirective(sub)) take(sub);
    }
  }
}

/** OpenSSH's Host line: any pattern matching (case-sensitively) applies it, unless a negated one matches. */
function hostLineApplies(line: Section, alias: string, blocks: Blocks): boolean {
  let applies = false;
  let named = false;
  for (const pattern of valueList(line.value)) {
    const negated = pattern.startsWith('!');
    if (!patternRegExp(negated ? pattern.slice(1) : pattern, false).test(alias)) continue;
    if (negated) return false;
    applies = true;
    named ||= pattern !== '*';
  }
  blocks.named ||= named;
  return applies;
}

/** Match criteria Lifeboat can decide without running anything; the others are refused with a reason. */
function checkMatchCriteria(line: Section, file: string): void {
  const tokens = valueList(line.value);
  for (let i = 0; i < tokens.length; i++) {
    const keyword = tokens[i]!.replace(/^!/, '').toLowerCase();
    if (keyword === 'all' || keyword === 'canonical') continue;
    const shown = `Match ${tokens.join(' ')}`;
    if (keyword === 'exec') fail(`${file}: "${shown}" runs a command to decide whether it applies, which Lifeboat does not do.`, 'Put the settings for this host in a Host block, or choose a config file without Match exec.');
    if (keyword === 'final') fail(`${file}: "${shown}" asks for a second reading of the config, which Lifeboat does not do.`, 'Put the settings for this host in a Host block, or choose a config file without Match final.');
    if (!['host', 'originalhost', 'user', 'localuser'].includes(keyword)) fail(`${file}: "${shown}": Lifeboat cannot evaluate the Match criterion "${tokens[i]}".`, 'Use Host blocks (or Match host/originalhost/user/localuser) for this host.');
    if (i + 1 >= tokens.length) fail(`${file}: "${shown}" has no pattern after ${tokens[i]}.`, `Add the pattern ${tokens[i]} should match.`);
    i++;
  }
}

interface KnownSoFar { hostname?: string | undefined; user?: string | undefined }

/**
 * The blocks that apply, as one config of `Host *` sections for compute(). Match blocks are decided
 * in order against the HostName and User set by the blocks before them, which compute() supplies.
 */
function applicableConfig(list: Block[], request: HopRequest, localUser: string): SSHConfig {
  const config = new SSHConfig();
  const known: KnownSoFar = {};
  let learnedUpTo = 0;
  for (const block of list) {
    let directives = block.kind === 'apply' ? block.directives : null;
    if (block.kind === 'match') {
      // First value wins: once HostName and User are known, later blocks cannot change them.
      if (known.hostname === undefined || known.user === undefined) {
        const since = new SSHConfig();
        since.push(...config.slice(learnedUpTo));
        const values = since.compute(request.alias, { ignoreCase: true, matchExec: false });
        known.hostname ??= first(values, 'hostname');
        known.user ??= first(values, 'user');
        learnedUpTo = config.length;
      }
      const subject = { alias: request.alias, hostname: hostNameOf(known.hostname, request.alias), user: request.user ?? known.user ?? localUser, localUser };
      if (matchApplies(block.line, subject)) directives = block.line.config.filter((l): l is Directive => isDirective(l) && !/^canonicaldomains$/i.test(l.param));
    }
    if (directives && directives.length > 0) config.push(hostStarSection(directives));
  }
  return config;
}

/** OpenSSH's match_cfg_line for the criteria checkMatchCriteria lets through: all must hold. */
function matchApplies(line: Section, subject: { alias: string; hostname: string; user: string; localUser: string }): boolean {
  const tokens = valueList(line.value);
  let applies = true;
  for (let i = 0; i < tokens.length; i++) {
    const negate = tokens[i]!.startsWith('!');
    const keyword = tokens[i]!.slice(negate ? 1 : 0).toLowerCase();
    // `canonical` holds only in the pass after canonicalising a host name, which never happens here.
    if (keyword === 'all' || keyword === 'canonical') {
      if ((keyword === 'all') === negate) applies = false;
      continue;
    }
    const patterns = tokens[++i]!;
    const text = keyword === 'host' ? subject.hostname : keyword === 'originalhost' ? subject.alias : keyword === 'user' ? subject.user : subject.localUser;
    // ssh compares host names without regard to case, user names exactly.
    const matched = matchPatternList(text, patterns, keyword === 'host' || keyword === 'originalhost');
    if (matched === negate) applies = false;
  }
  return applies;
}

/** OpenSSH's match_pattern_list: comma-separated patterns; a matching negated one vetoes the rest. */
function matchPatternList(text: string, list: string, caseless: boolean): boolean {
  let matched = false;
  for (const item of list.split(',')) {
    const negated = item.startsWith('!');
    if (!patternRegExp(negated ? item.slice(1) : item, caseless).test(text)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** An OpenSSH pattern: `*` is any run of characters, `?` exactly one, everything else literal. */
function patternRegExp(pattern: string, caseless: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, caseless ? 'isu' : 'su');
}

function hostStarSection(directives: Directive[]): Section {
  const config = new SSHConfig();
  config.push(...directives);
  return { type: SSHConfig.DIRECTIVE, before: '', after: '\n', param: 'Host', separator: ' ', value: '*', config };
}

// ---- One hop ----------------------------------------------------------------------------------------

/**
 * Resolves one host as `ssh` would when asked for it. A ProxyJump list is followed the way ssh.c does:
 * ssh reaches the last jump host with `ssh [-l user] [-p port] [-J the-others] host`, so that host is
 * resolved like an alias of its own, with the other jumps (if any) replacing its configured ProxyJump.
 */
function resolveHop(ctx: ImportContext, request: HopRequest, trail: HopRequest[]): ResolvedHop {
  checkTrail(request, trail);
  const blocks: Blocks = { list: [], named: false };
  collectBlocks(ctx.tree, ctx.tree.root, request.alias, blocks);
  const values = applicableConfig(blocks.list, request, ctx.localUser).compute(request.alias, { ignoreCase: true, matchExec: false });
  if (trail.length === 0 && !blocks.named) failUnknownAlias(ctx.tree, request.alias);
  refuseUnsupported(values, request.alias, ctx.tree.root.file);
  const host = hostNameOf(first(values, 'hostname'), request.alias);
  const user = request.user ?? first(values, 'user') ?? ctx.localUser;
  const port = request.port ?? parsePort(first(values, 'port'), `Port for ${request.alias}`);
  const jumps = request.jumps ?? configuredJumps(values, request.alias, ctx.tree.root.file);
  const jumpText = jumps.length === 0 ? '' : (request.jumpText ?? first(values, 'proxyjump') ?? '');
  const keyFiles = identityFiles(values);
  const keyFile = keyFiles[0] === undefined ? undefined : expandIdentityFile(keyFiles[0], { ...ctx, alias: request.alias, host, user, port, jumpText, hostKeyAlias: first(values, 'hostkeyalias') });
  const hop: SshHop = { host, port, user, ...chooseAuth(ctx, keyFile, first(values, 'identityagent'), values.identityfile !== undefined, request.alias) };
  const keepAliveSeconds = parseTime(first(values, 'serveraliveinterval'), request.alias);
  const last = jumps[jumps.length - 1];
  if (last === undefined) return { hop, jumps: [], keepAliveSeconds };
  // ssh.c's own check, before it starts the inner ssh: jumping to the very host it is asked for.
  if (last.host === host && (last.port ?? 22) === port && (last.user ?? user) === user) fail(`${request.alias} jumps through itself (ProxyJump ${jumpText}).`, `Remove the ProxyJump line that names ${last.host} for ${request.alias}.`);
  const others = jumps.slice(0, -1);
  const inner = resolveHop(ctx, { alias: last.host, user: last.user, port: last.port, ...(others.length > 0 ? { jumps: others, jumpText: jumpText.slice(0, jumpText.lastIndexOf(',')) } : {}) }, [...trail, request]);
  return { hop, jumps: [...inner.jumps, inner.hop], keepAliveSeconds };
}

/** The same request again can only recurse forever; a long chain is bounded too. */
function checkTrail(request: HopRequest, trail: HopRequest[]): void {
  const key = (r: HopRequest): string => JSON.stringify([r.alias, r.user, r.port, r.jumpText]);
  const chain = [...trail, request].map((r) => r.alias).join(' → ');
  if (trail.some((r) => key(r) === key(request))) fail(`The ProxyJump chain ${chain} loops back on itself.`, 'Check the ProxyJump lines of these hosts in the SSH config.');
  if (trail.length > MAX_HOPS) fail(`The ProxyJump chain ${chain} is longer than ${MAX_HOPS} hops.`, 'Shorten the chain in the SSH config.');
}

function failUnknownAlias(tree: ConfigTree, alias: string): never {
  const names = new Set<string>();
  const visit = (file: ConfigFile): void => {
    for (const line of file.lines) {
      if (isDirective(line) && isSection(line) && !isMatch(line)) for (const p of valueList(line.value)) if (!/[*?!]/.test(p)) names.add(p);
      if (isDirective(line) && isSection(line)) for (const sub of line.config) if (isDirective(sub) && isInclude(sub)) (tree.included.get(sub) ?? []).forEach(visit);
      if (isDirective(line) && isInclude(line)) (tree.included.get(line) ?? []).forEach(visit);
    }
  };
  visit(tree.root);
  const list = [...names];
  const shown = list.length > 20 ? `${list.slice(0, 20).join(', ')} and ${list.length - 20} more` : list.join(', ');
  fail(`There is no Host block named ${alias} in ${tree.root.file}${list.length > 0 ? ` (it names ${shown})` : ' (it names no hosts)'}.`, list.length > 0 ? 'Choose one of the aliases it names, or add a Host block for this one.' : `Add a "Host ${alias}" block with the server's HostName, or choose another config file.`);
}

/** Settings that would send the connection somewhere Lifeboat cannot follow. */
function refuseUnsupported(values: Values, alias: string, file: string): void {
  const canonicalise = first(values, 'canonicalizehostname');
  if (canonicalise !== undefined && canonicalise.toLowerCase() !== 'no') fail(`${alias} uses "CanonicalizeHostname ${canonicalise}" in ${file}: ssh then picks the host name through DNS, which Lifeboat does not do.`, `Set HostName to the full name of the server for ${alias}, or set CanonicalizeHostname no.`);
}

/** ProxyJump, unless ProxyCommand comes first: ssh takes whichever it reads first and ignores the other. */
function configuredJumps(values: Values, alias: string, file: string): JumpTarget[] {
  const keys = Object.keys(values);
  const jumpAt = keys.indexOf('proxyjump');
  const commandAt = keys.indexOf('proxycommand');
  if (commandAt >= 0 && (jumpAt < 0 || commandAt < jumpAt)) {
    const command = first(values, 'proxycommand');
    if (command === 'none') return [];
    fail(`${alias} connects through "ProxyCommand ${command}" in ${file}, which Lifeboat cannot run.`, `Replace ProxyCommand with ProxyJump (e.g. "ProxyJump user@bastion") for ${alias}, if the command only forwards through another SSH server.`);
  }
  const spec = first(values, 'proxyjump');
  if (spec === undefined || spec.toLowerCase() === 'none') return [];
  return spec.split(',').map((item) => parseJumpTarget(item.trim(), alias));
}

/** One ProxyJump item, as ssh's parse_ssh_uri and parse_user_host_port read it. */
function parseJumpTarget(item: string, alias: string): JumpTarget {
  const invalid: () => never = () => fail(`ProxyJump for ${alias} has an item Lifeboat cannot read: "${item}".`, 'Write each jump host as [user@]host[:port] or ssh://[user@]host[:port], separated by commas.');
  let user: string | undefined;
  let hostPort = item;
  if (item.startsWith('ssh://')) {
    const rest = item.slice('ssh://'.length);
    const at = rest.indexOf('@');
    if (rest.includes('/')) invalid();
    // In a URI the user is percent-encoded and may carry ";parameters", which ssh drops.
    if (at >= 0) user = decodeURIComponentOr(rest.slice(0, at).replace(/;.*$/s, ''), invalid);
    hostPort = rest.slice(at + 1);
  } else if (item.lastIndexOf('@') >= 0) {
    user = item.slice(0, item.lastIndexOf('@'));
    hostPort = item.slice(item.lastIndexOf('@') + 1);
  }
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/s.exec(hostPort);
  const plain = /^([^:[\]]+)(?::(.*))?$/s.exec(hostPort);
  const [, host, portText] = bracketed ?? plain ?? invalid();
  if (user === '' || host === undefined) invalid();
  checkHostName(host, `The jump host in "ProxyJump ${item}" (for ${alias})`);
  return { host, ...(user === undefined ? {} : { user }), ...(portText === undefined ? {} : { port: parsePort(portText, `The port in "ProxyJump ${item}" (for ${alias})`) }) };
}

function decodeURIComponentOr(text: string, invalid: () => never): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return invalid();
  }
}

/** HostName with %h (the alias) expanded, as ssh.c does; ssh lowercases names but not addresses. */
function hostNameOf(raw: string | undefined, alias: string): string {
  const name = raw === undefined ? alias : percentExpand(raw, { '%': '%', h: alias }, `HostName for ${alias}`);
  if (name === '' || /\s/.test(name)) fail(`The HostName for ${alias} ("${name}") is not a host name.`, `Set HostName for ${alias} to the server's name or address.`);
  return net.isIP(name) ? name : name.toLowerCase();
}

function checkHostName(name: string, what: string): void {
  if (name === '' || name.startsWith('-') || BAD_HOST_CHARACTERS.test(name)) fail(`${what} "${name}" is not a name ssh accepts.`, 'Use a Host alias or host name without spaces, quotes, commas or shell characters.');
}

// ---- Keys and authentication ------------------------------------------------------------------------

interface KeyTokens { home: string; localUser: string; alias: string; host: string; user: string; port: number; jumpText: string; hostKeyAlias: string | undefined }

function identityFiles(values: Values): string[] {
  const listed = values.identityfile;
  const all = listed === undefined ? [] : Array.isArray(listed) ? listed : [listed];
  // "IdentityFile none" only says "no default keys": ssh skips it.
  return all.filter((file) => file.toLowerCase() !== 'none');
}

/**
 * An IdentityFile as ssh expands it (tilde, then ${ENV}, then %tokens; ssh.c default_client_percent_dollar_expand).
 * ssh leaves a relative path relative to the folder it was started in, which means nothing to Lifeboat.
 */
function expandIdentityFile(raw: string, t: KeyTokens): string {
  const localHost = os.hostname();
  const uid = process.getuid?.();
  const tokens: Record<string, string> = {
    '%': '%', d: t.home, h: t.host, j: t.jumpText, k: t.hostKeyAlias ?? t.alias, L: localHost.split('.')[0] ?? localHost, l: localHost,
    n: t.alias, p: String(t.port), r: t.user, u: t.localUser,
    // ssh's %C: a hash of local host, host, port and user (OpenSSH 9.2, the version the tests check).
    C: createHash('sha1').update(`${localHost}${t.host}${t.port}${t.user}`).digest('hex'),
    ...(uid === undefined ? {} : { i: String(uid) }),
  };
  const expanded = percentExpand(dollarExpand(expandTilde(raw, t.home, t.localUser), `IdentityFile ${raw}`), tokens, `IdentityFile ${raw} (for ${t.alias})`);
  if (!path.isAbsolute(expanded)) fail(`IdentityFile ${raw} (for ${t.alias}) is a relative path: ssh reads it from whatever folder it is started in.`, `Give the full path of the key, e.g. IdentityFile ~/.ssh/${path.basename(expanded)}.`);
  return expanded;
}

/** Key when the config names one; else the agent; else a default key in ~/.ssh; else a password. */
function chooseAuth(ctx: ImportContext, keyFile: string | undefined, identityAgent: string | undefined, identityFileSet: boolean, alias: string): Pick<SshHop, 'auth' | 'keyFile'> {
  if (keyFile !== undefined) return { auth: 'key', keyFile };
  if (identityAgent !== undefined && !['none', 'SSH_AUTH_SOCK', '$SSH_AUTH_SOCK', '${SSH_AUTH_SOCK}'].includes(identityAgent)) {
    fail(`${alias} uses the agent at "IdentityAgent ${identityAgent}", and Lifeboat can use only the agent in SSH_AUTH_SOCK.`, `Add an IdentityFile for ${alias} (the key's file), or make that agent the one in SSH_AUTH_SOCK.`);
  }
  if (ctx.agentAvailable && identityAgent !== 'none') return { auth: 'agent' };
  // "IdentityFile none" with nothing else: ssh tries no default keys either.
  const defaultKey = identityFileSet ? undefined : ctx.defaultKey();
  return defaultKey === undefined ? { auth: 'password' } : { auth: 'key', keyFile: defaultKey };
}

/**
 * The first default key that exists, looked for only when a hop needs it (so a config that names its
 * keys never has ~/.ssh looked at) and at most once. Synchronous because resolving hops is: three
 * access() calls.
 */
function defaultKeyFinder(home: string): () => string | undefined {
  let found: { file: string | undefined } | undefined;
  const readable = (file: string): boolean => {
    try {
      accessSync(file, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  };
  return () => (found ??= { file: DEFAULT_KEYS.map((name) => path.join(home, '.ssh', name)).find(readable) }).file;
}

// ---- Small parsers ----------------------------------------------------------------------------------

/** `~` and `~/x` are the home folder; `~name/x` only for the local user (Node cannot look others up). */
function expandTilde(file: string, home: string, localUser: string): string {
  const match = /^~([^/\\]*)(.*)$/s.exec(file);
  if (!match) return file;
  const [, name, rest] = match;
  if (name !== '' && name !== localUser) fail(`"${file}" names the home folder of user ${name}.`, 'Give the full path instead.');
  return rest === '' || rest === '/' ? home + path.sep : path.join(home, rest ?? '');
}

/** ${NAME} from the environment, as ssh's dollar_expand; an unset variable is an error there too. */
function dollarExpand(text: string, what: string): string {
  return text.replace(/\$\{([^}]*)\}/g, (_all, name: string) => {
    const value = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? process.env[name] : undefined;
    return value ?? fail(`${what} uses \${${name}}, which is not set in Lifeboat's environment.`, 'Write the path without the environment variable.');
  });
}

function percentExpand(text: string, tokens: Record<string, string>, what: string): string {
  return text.replace(/%(.?)/gs, (_all, key: string) => tokens[key] ?? fail(`${what} uses "%${key}", which ssh does not expand there.`, 'Write the value without that % token (%% is a literal %).'));
}

/** A port as ssh's a2port takes it (service names aside). */
function parsePort(text: string | undefined, what: string): number {
  if (text === undefined) return 22;
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(port >= 1 && port <= 65535)) fail(`${what} is "${text}", not a port number.`, 'Use a number from 1 to 65535.');
  return port;
}

/** ServerAliveInterval, in ssh's time format (convtime): "90", "1m30s", "2h"; 0 turns keep-alives off. */
function parseTime(text: string | undefined, alias: string): number {
  if (text === undefined) return DEFAULT_KEEPALIVE_SECONDS;
  const units: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  const parts = [...text.matchAll(/(\d+)([smhdw]?)/giy)];
  if (parts.map((p) => p[0]).join('') !== text || text === '') fail(`ServerAliveInterval for ${alias} is "${text}", not a time.`, 'Use seconds (e.g. 30) or a time like 1m30s.');
  return parts.reduce((total, [, count, unit]) => total + Number(count) * (units[(unit ?? '').toLowerCase()] ?? 1), 0);
}

function checkChain(alias: string, resolved: ResolvedHop): void {
  if (resolved.jumps.length > MAX_HOPS) fail(`The ProxyJump chain for ${alias} has ${resolved.jumps.length} jump hosts; Lifeboat follows at most ${MAX_HOPS}.`, 'Shorten the chain in the SSH config.');
  const seen = new Set<string>();
  for (const hop of [...resolved.jumps, resolved.hop]) {
    const key = `${hop.user}@${hop.host}:${hop.port}`;
    if (seen.has(key)) fail(`The ProxyJump chain for ${alias} goes through ${key} twice.`, 'Check the ProxyJump lines in the SSH config for a loop.');
    seen.add(key);
  }
}

// ---- ssh-config's line types ------------------------------------------------------------------------

function isDirective(line: Line): line is Directive | Section {
  return line.type === SSHConfig.DIRECTIVE;
}

function isSection(line: Directive | Section): line is Section {
  return 'config' in line;
}

function isMatch(line: Section): boolean {
  return /^match$/i.test(line.param);
}

function isInclude(line: Directive): boolean {
  return /^include$/i.test(line.param);
}

function valueList(value: Directive['value']): string[] {
  return typeof value === 'string' ? [value] : value.map((v) => v.val);
}

/** No such file, or a path through something that is not a folder: what ssh's glob treats as no match. */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function first(values: Values, key: string): string | undefined {
  const value = values[key];
  return Array.isArray(value) ? value[0] : value;
}
