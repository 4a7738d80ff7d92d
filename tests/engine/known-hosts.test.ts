// known_hosts against the real OpenSSH. Fingerprints and key types against `ssh-keygen -l` on real
// host keys of each type; lookups against `ssh-keygen -F -l` (which lists the lines OpenSSH's client
// loads for a host) on random files of wildcard, negated, hashed (by `ssh-keygen -H`), marked,
// malformed and binary lines; entries we add are found by `ssh-keygen -F`; hostile files stay bounded.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addKnownHost,
  checkHostKey,
  findHostKeys,
  keyTypeOf,
  knownHostsName,
  knownKeyTypes,
  sha256Fingerprint,
  type HostKeyVerdict,
} from '../../main/engine/tunnel/known-hosts.ts';
import { forTier, seededRandom } from '../faults/fault-tier.ts';

const run = promisify(execFile);

interface TestKey {
  name: string;
  /** The type as the .pub file names it. */
  type: string;
  base64: string;
  blob: Buffer;
  /** As `ssh-keygen -l -E sha256` prints it. */
  fingerprint: string;
}

let dir: string;
const keys: Record<string, TestKey> = {};
const key = (name: string): TestKey => keys[name]!;

async function generateKey(name: string, args: string[]): Promise<TestKey> {
  const file = path.join(dir, 'keys', name);
  await run('ssh-keygen', ['-q', ...args, '-N', '', '-C', `host-key-${name}`, '-f', file]);
  const [type, base64] = (await readFile(`${file}.pub`, 'utf8')).split(' ') as [string, string];
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`]);
  return { name, type, base64, blob: Buffer.from(base64, 'base64'), fingerprint: stdout.split(' ')[1]! };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-known-hosts-'));
  await mkdir(path.join(dir, 'keys'));
  const specs: Record<string, string[]> = {
    ed0: ['-t', 'ed25519'],
    ed1: ['-t', 'ed25519'],
    ed2: ['-t', 'ed25519'],
    ec256: ['-t', 'ecdsa', '-b', '256'],
    ec384: ['-t', 'ecdsa', '-b', '384'],
    ec521: ['-t', 'ecdsa', '-b', '521'],
    rsa1024: ['-t', 'rsa', '-b', '1024'],
    rsa2048: ['-t', 'rsa', '-b', '2048'],
  };
  const made = await Promise.all(Object.entries(specs).map(([name, args]) => generateKey(name, args)));
  for (const k of made) keys[k.name] = k;
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A key line as OpenSSH writes it. */
const entry = (hosts: string, k: TestKey, type = k.type) => `${hosts} ${type} ${k.base64}`;

/** The lines `ssh-keygen -F name -l` reports for each name: [line, marker, fingerprint]. */
async function keygenFind(file: string, names: string[]): Promise<[number, string, string][][]> {
  // One shell per file: ssh-keygen is run once per name, the outputs told apart by a separator.
  const script = names.map((name, i) => `echo '@@@ ${i}'; ssh-keygen -F '${name}' -l -f '${file}' 2>/dev/null;`).join('\n');
  const { stdout } = await run('sh', ['-c', `${script}\ntrue`], { maxBuffer: 64 * 1024 * 1024 });
  const results: [number, string, string][][] = names.map(() => []);
  let current: [number, string, string][] = [];
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const separator = /^@@@ (\d+)$/.exec(lines[i]!);
    if (separator) current = results[Number(separator[1])]!;
    const found = /^# Host \S+ found: line (\d+) ?(CA|REVOKED)?$/.exec(lines[i]!);
    // The next line is "name TYPE SHA256:… comment".
    if (found) current.push([Number(found[1]), found[2] === 'CA' ? 'cert-authority' : found[2] === 'REVOKED' ? 'revoked' : '', lines[++i]!.split(' ')[2]!]);
  }
  return results;
}

describe('keys', () => {
  it('fingerprints and key types agree with ssh-keygen for real host keys of every type', () => {
    for (const k of Object.values(keys)) {
      expect(sha256Fingerprint(k.blob), k.name).toBe(k.fingerprint);
      expect(keyTypeOf(k.blob), k.name).toBe(k.type);
    }
    expect(Object.values(keys).map((k) => k.type).sort()).toEqual(['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-ed25519', 'ssh-ed25519', 'ssh-ed25519', 'ssh-rsa', 'ssh-rsa']);
  });

  it('refuses malformed key blobs', () => {
    const ed = key('ed0').blob;
    const ec = Buffer.from(key('ec256').blob);
    ec[ec.length - 1]! ^= 1; // the point is no longer on the curve
    const malformed = [
      Buffer.alloc(0),
      Buffer.from([0, 0, 0]),
      Buffer.from([0, 0, 0, 9, 0x61]), // a name longer than the blob
      Buffer.from([0, 0, 0, 0]), // an empty name
      Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('a\nb')]),
      ed.subarray(0, ed.length - 1),
      Buffer.concat([ed, Buffer.from([0])]),
      ec,
      key('rsa2048').blob.subarray(0, 200),
    ];
    for (const blob of malformed) {
      expect(() => keyTypeOf(blob), blob.toString('hex')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });

  it('names hosts as OpenSSH writes them, and refuses names that would change a line', () => {
    expect(knownHostsName('DB.Example.com', 22)).toBe('db.example.com');
    expect(knownHostsName('db.example.com', 2222)).toBe('[db.example.com]:2222');
    expect(knownHostsName('fe80::1%eth0', 22)).toBe('fe80::1%eth0');
    expect(knownHostsName('::1', 2222)).toBe('[::1]:2222');
    for (const [host, port] of [['', 22], ['a b', 22], ['a,b', 22], ['*', 22], ['a\nb', 22], ['a'.repeat(256), 22], ['db', 0], ['db', 65536], ['db', 22.5]] as const) {
      expect(() => knownHostsName(host, port), `${host}:${port}`).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});

describe('verdicts', () => {
  let userFile: string;
  let ownFile: string;
  let files: string[];

  beforeAll(async () => {
    userFile = path.join(dir, 'verdicts-user');
    ownFile = path.join(dir, 'verdicts-own');
    await writeFile(userFile, [
      '# the user\'s known_hosts',
      entry('db.example.com', key('ed0')),
      entry('[db.example.com]:2222', key('ec256')),
      entry('*.example.com,!secret.example.com', key('ed1')),
      `@revoked * ${key('ed2').type} ${key('ed2').base64}`,
      `@cert-authority *.example.org ${key('ed0').type} ${key('ed0').base64}`,
      entry('rsa.example.net', key('rsa2048'), 'rsa-sha2-512'),
      '',
    ].join('\n'));
    await writeFile(ownFile, [entry('db.example.com', key('ed2')), entry('new.example.net', key('ed0')), ''].join('\n'));
    files = [path.join(dir, 'missing', 'known_hosts'), userFile, ownFile];
  });

  const check = (host: string, port: number, k: string) => checkHostKey(files, host, port, key(k).blob);
  const known = (k: string, file: string, line: number) => ({ fingerprint: key(k).fingerprint, keyType: key(k).type, file, line });

  it('trusts a key a line for the host holds, in whichever file, whatever the case of the name', async () => {
    expect(await check('db.example.com', 22, 'ed0')).toEqual({ kind: 'trusted', file: userFile });
    expect(await check('DB.EXAMPLE.COM', 22, 'ed0')).toEqual({ kind: 'trusted', file: userFile });
    expect(await check('db.example.com', 22, 'ed1')).toEqual({ kind: 'trusted', file: userFile }); // *.example.com
    expect(await check('db.example.com', 2222, 'ec256')).toEqual({ kind: 'trusted', file: userFile });
    expect(await check('new.example.net', 22, 'ed0')).toEqual({ kind: 'trusted', file: ownFile });
    expect(await check('rsa.example.net', 22, 'rsa2048')).toEqual({ kind: 'trusted', file: userFile }); // an rsa-sha2-512 line holds an RSA key
  });

  it('reports a changed key: the keys of its type, or else the keys of other types', async () => {
    expect(await check('other.example.com', 22, 'ed0')).toEqual<HostKeyVerdict>({ kind: 'changed', fingerprint: key('ed0').fingerprint, keyType: 'ssh-ed25519', known: [known('ed1', userFile, 4)] });
    expect(await check('db.example.com', 2222, 'ed0')).toEqual<HostKeyVerdict>({ kind: 'changed', fingerprint: key('ed0').fingerprint, keyType: 'ssh-ed25519', known: [known('ec256', userFile, 3)] });
    expect(await check('db.example.com', 2222, 'ec384')).toEqual<HostKeyVerdict>({ kind: 'changed', fingerprint: key('ec384').fingerprint, keyType: 'ecdsa-sha2-nistp384', known: [known('ec256', userFile, 3)] });
    expect(await check('db.example.com', 22, 'ec256')).toEqual<HostKeyVerdict>({ kind: 'changed', fingerprint: key('ec256').fingerprint, keyType: 'ecdsa-sha2-nistp256', known: [known('ed0', userFile, 2), known('ed1', userFile, 4), known('ed2', ownFile, 1)] });
  });

  it('knows nothing of a host no line names: negated and cert-authority lines do not count', async () => {
    expect(await check('secret.example.com', 22, 'ed0')).toEqual({ kind: 'unknown', fingerprint: key('ed0').fingerprint, keyType: 'ssh-ed25519' });
    expect(await check('www.example.org', 22, 'ed0')).toEqual({ kind: 'unknown', fingerprint: key('ed0').fingerprint, keyType: 'ssh-ed25519' });
    expect(await check('db.example.com', 2200, 'rsa1024')).toEqual({ kind: 'unknown', fingerprint: key('rsa1024').fingerprint, keyType: 'ssh-rsa' });
    expect(await checkHostKey([], 'db.example.com', 22, key('ed0').blob)).toMatchObject({ kind: 'unknown' });
  });

  it('refuses a revoked key even where a line trusts it', async () => {
    expect(await check('db.example.com', 22, 'ed2')).toEqual({ kind: 'revoked', fingerprint: key('ed2').fingerprint, file: userFile, line: 5 });
    expect(await check('anywhere', 22, 'ed2')).toEqual({ kind: 'revoked', fingerprint: key('ed2').fingerprint, file: userFile, line: 5 });
  });

  it('lists the known key types of a host, for host-key algorithm preference', async () => {
    expect(await knownKeyTypes(files, 'db.example.com', 22)).toEqual(['ssh-ed25519']);
    expect(await knownKeyTypes(files, 'db.example.com', 2222)).toEqual(['ecdsa-sha2-nistp256']);
    expect(await knownKeyTypes(files, 'rsa.example.net', 22)).toEqual(['ssh-rsa']);
    expect(await knownKeyTypes(files, 'secret.example.com', 22)).toEqual([]);
  });

  it('refuses a malformed offered key', async () => {
    await expect(checkHostKey(files, 'db.example.com', 22, Buffer.from('junk'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('adding a host', () => {
  it('appends lines ssh-keygen -F finds, plain and hashed, in a private file and folder', async () => {
    const file = path.join(dir, 'add', 'deeper', 'known_hosts');
    await addKnownHost(file, 'Bastion.Example.com', 22, key('ed0').blob);
    await addKnownHost(file, 'bastion.example.com', 2222, key('ec256').blob, { hashed: true });
    await addKnownHost(file, 'bastion.example.com', 22, key('rsa2048').blob, { hashed: true });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    const text = await readFile(file, 'latin1');
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(entry('bastion.example.com', key('ed0')));
    expect(lines[1]).toMatch(/^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ecdsa-sha2-nistp256 /);
    expect(text).not.toContain('bastion.example.com]');

    const [plain, port2222] = await keygenFind(file, ['bastion.example.com', '[bastion.example.com]:2222']);
    expect(plain).toEqual([[1, '', key('ed0').fingerprint], [3, '', key('rsa2048').fingerprint]]);
    expect(port2222).toEqual([[2, '', key('ec256').fingerprint]]);
    expect(await checkHostKey([file], 'bastion.example.com', 2222, key('ec256').blob)).toEqual({ kind: 'trusted', file });
    expect(await checkHostKey([file], 'BASTION.example.com', 22, key('rsa2048').blob)).toEqual({ kind: 'trusted', file });
  });

  it('starts a new line when the file does not end with one', async () => {
    const file = path.join(dir, 'add-unterminated');
    await writeFile(file, entry('first.example.com', key('ed1')));
    await addKnownHost(file, 'second.example.com', 22, key('ed2').blob);
    expect(await keygenFind(file, ['first.example.com', 'second.example.com'])).toEqual([[[1, '', key('ed1').fingerprint]], [[2, '', key('ed2').fingerprint]]]);
  });

  it('refuses a host name or key that would not make one valid line', async () => {
    const file = path.join(dir, 'add-refused');
    await expect(addKnownHost(file, 'a b', 22, key('ed0').blob)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(addKnownHost(file, 'db', 22, Buffer.from('not a key'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('agrees with ssh-keygen -F on random files', () => {
  const NAMES = ['db.example.com', 'db2.example.com', 'web.example.org', 'bastion', '10.0.0.5', '10.0.0.55', 'fe80::1', 'a.b'];
  const PORTS = [22, 22, 2222, 22022];

  /** One random known_hosts file; lines to be hashed by ssh-keygen -H are left as {hash: line}. */
  function randomFile(random: () => number, pool: TestKey[]): (string | { hash: string })[] {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const upTo = (n: number) => Math.floor(random() * n);
    const anyName = () => knownHostsName(pick(NAMES), pick(PORTS));
    const randomCase = (s: string) => [...s].map((c) => (random() < 0.3 ? c.toUpperCase() : c)).join('');
    const printable = (n: number) => Array.from({ length: n }, () => String.fromCharCode(0x20 + upTo(95))).join('');
    const pattern = (): string => {
      const name = anyName();
      const at = upTo(name.length);
      const wildcard = [
        () => name,
        () => randomCase(name),
        () => name.slice(0, at) + '?' + name.slice(at + 1),
        () => name.slice(0, at) + '*' + name.slice(at + upTo(5)),
        () => `*${name.slice(at)}`,
        () => `${name.slice(0, at)}*`,
        () => pick(['*', '?*', '*.example.com', '[*]:2222', '[db*]:*', '10.0.0.?', '*:*', '**']),
        () => name.slice(0, at) + pick(['x', '', '.', 'A']) + name.slice(at + 1), // a near miss
      ];
      return (random() < 0.2 ? '!' : '') + pick(wildcard)();
    };
    const hosts = () => Array.from({ length: 1 + upTo(3) }, pattern).join(',');
    const sep = () => pick([' ', ' ', '\t', '  ', ' \t ']);
    const typeName = (k: TestKey) => (k.type === 'ssh-rsa' ? pick(['ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512']) : k.type);
    const comment = () => (random() < 0.5 ? '' : ` ${printable(upTo(20))}`);
    const keyLine = (marker: string, base64: string, type: string) => `${pick(['', '', ' ', '\t'])}${marker}${hosts()}${sep()}${type}${sep()}${base64}${comment()}${random() < 0.1 ? '\r' : ''}`;
    const badKey = (k: TestKey): [string, string] => {
      const blob = k.blob;
      return pick<() => [string, string]>([
        () => [k.base64.slice(0, -4), k.type], // truncated
        () => [Buffer.concat([blob, Buffer.from([0, 0, 0, 0])]).toString('base64'), k.type], // trailing bytes
        () => [k.base64.slice(0, 30) + '!' + k.base64.slice(30), k.type], // not base64
        () => [k.base64, k.type === 'ssh-ed25519' ? 'ssh-rsa' : 'ssh-ed25519'], // another type's name
        () => [k.base64, pick(['ED25519', 'ssh-ed25519-cert-v01@openssh.com', '1024', 'ssh-foo'])],
        () => [k.base64.replace(/=+$/, ''), k.type], // padding missing
      ])();
    };
    const lines: (string | { hash: string })[] = [];
    for (let n = 8 + upTo(30); n > 0; n--) {
      const k = pick(pool);
      const roll = random();
      if (roll < 0.45) lines.push(keyLine('', k.base64, typeName(k)));
      else if (roll < 0.55) lines.push({ hash: `${randomCase(knownHostsName(pick(NAMES), pick(PORTS)))} ${k.type} ${k.base64}` });
      else if (roll < 0.62) lines.push(keyLine('@revoked ', k.base64, typeName(k)));
      else if (roll < 0.66) lines.push(keyLine('@cert-authority ', k.base64, typeName(k)));
      else if (roll < 0.7) lines.push(keyLine(pick(['@bogus ', '@revoked @revoked ', '@revoked\t', '@ ', '@cert-authority@revoked ']), k.base64, typeName(k)));
      else if (roll < 0.8) lines.push(keyLine(pick(['', '@revoked ']), ...badKey(k)));
      else if (roll < 0.84) lines.push(pick([hosts(), `${hosts()} ${k.type}`, `${hosts()} ${k.type} `, `${hosts()} #${k.type} ${k.base64}`]));
      else if (roll < 0.9) lines.push(pick(['', '   ', '\t', `# ${printable(upTo(40))}`, `  #${entry('db.example.com', k)}`]));
      else if (roll < 0.95) lines.push(printable(upTo(80)));
      else lines.push(Array.from({ length: upTo(120) }, () => String.fromCharCode(pick([0, 9, 13, 32, 44, 42, 124]) ^ (random() < 0.5 ? upTo(256) : 0))).join('').replaceAll('\n', ''));
    }
    return lines;
  }

  /** What a matching line shows of the generator's features, for the coverage check. */
  function lineFeatures(text: string): string {
    const hostsField = text.replace(/^[ \t]*(@\S+[ \t]+)?/, '').split(/[ \t]/)[0]!;
    const features = { hashed: hostsField.startsWith('|1|'), list: hostsField.includes(','), negated: hostsField.includes('!'), wildcard: /[*?]/.test(hostsField), 'rsa-sha2': /[ \t]rsa-sha2-/.test(text), tab: text.includes('\t'), cr: text.endsWith('\r') };
    return Object.entries(features).filter(([, present]) => present).map(([name]) => name).join(' ');
  }

  /** What OpenSSH's client decides, from the lines ssh-keygen -F lists for the host. */
  function expectedVerdict(found: [number, string, string][], offered: TestKey, file: string, typeOf: Map<string, string>): HostKeyVerdict {
    const revoked = found.find(([, marker, fp]) => marker === 'revoked' && fp === offered.fingerprint);
    if (revoked) return { kind: 'revoked', fingerprint: offered.fingerprint, file, line: revoked[0] };
    const plain = found.filter(([, marker]) => marker === '');
    if (plain.some(([, , fp]) => fp === offered.fingerprint)) return { kind: 'trusted', file };
    const sameType = plain.filter(([, , fp]) => typeOf.get(fp) === offered.type);
    const known = (sameType.length > 0 ? sameType : plain).map(([line, , fp]) => ({ fingerprint: fp, keyType: typeOf.get(fp)!, file, line }));
    return known.length > 0 ? { kind: 'changed', fingerprint: offered.fingerprint, keyType: offered.type, known } : { kind: 'unknown', fingerprint: offered.fingerprint, keyType: offered.type };
  }

  it('finds the same lines for random lookups, and decides as OpenSSH would', async () => {
    const seed = Number(process.env.KNOWN_HOSTS_SEED ?? 20260101);
    const random = seededRandom(seed);
    const pool = Object.values(keys);
    const typeOf = new Map(pool.map((k) => [k.fingerprint, k.type]));
    const fileCount = forTier(20, 200);
    const perFile = 10;
    const drafts = Array.from({ length: fileCount }, () => randomFile(random, pool));

    // Hash the chosen lines with the real tool (all files' at once), then put them in place.
    const toHash = drafts.flat().filter((line): line is { hash: string } => typeof line !== 'string');
    const hashFile = path.join(dir, 'fuzz-hash');
    await writeFile(hashFile, toHash.map((l) => `${l.hash}\n`).join(''));
    await run('ssh-keygen', ['-H', '-f', hashFile]);
    const hashed = (await readFile(hashFile, 'latin1')).split('\n');
    expect(hashed).toHaveLength(toHash.length + 1);
    expect(hashed.slice(0, -1).every((l) => l.startsWith('|1|'))).toBe(true);
    let nextHashed = 0;
    // Every random choice is drawn here, before the files are checked in parallel, so a seed replays
    // the same files and lookups (with this run's freshly generated keys).
    const cases = drafts.map((draft, f) => ({
      file: path.join(dir, `fuzz-${f}`),
      lines: draft.map((line) => (typeof line === 'string' ? line : hashed[nextHashed++]!)),
      lookups: Array.from({ length: perFile }, () => ({ host: pick(NAMES), port: pick(PORTS), upper: random() < 0.3, offerKnown: random() < 0.5, choice: random() })),
    }));

    const mismatches: unknown[] = [];
    const verdicts = new Map<string, number>();
    const features = new Set<string>();
    await Promise.all(cases.map(async ({ file, lines, lookups }) => {
      await writeFile(file, Buffer.from(`${lines.join('\n')}\n`, 'latin1'));
      const theirs = await keygenFind(file, lookups.map((l) => knownHostsName(l.host, l.port)));
      for (const [i, lookup] of lookups.entries()) {
        const host = lookup.upper ? lookup.host.toUpperCase() : lookup.host;
        const found = theirs[i]!;
        for (const [line, marker] of found) features.add(marker).add(lineFeatures(lines[line - 1]!));
        const ours = (await findHostKeys([file], host, lookup.port)).map((e): [number, string, string] => [e.line, e.marker ?? '', e.fingerprint]);
        // Offer a key the file holds for the host half the time, so every verdict comes up.
        const choices = lookup.offerKnown && found.length > 0 ? pool.filter((k) => found.some(([, , fp]) => fp === k.fingerprint)) : pool;
        const offered = choices[Math.floor(lookup.choice * choices.length)]!;
        const want = expectedVerdict(found, offered, file, typeOf);
        const got = await checkHostKey([file], host, lookup.port, offered.blob);
        verdicts.set(got.kind, (verdicts.get(got.kind) ?? 0) + 1);
        const wantTypes = [...new Set(found.filter(([, marker]) => marker === '').map(([, , fp]) => typeOf.get(fp)))];
        const gotTypes = await knownKeyTypes([file], host, lookup.port);
        if (JSON.stringify([ours, got, gotTypes]) !== JSON.stringify([found, want, wantTypes])) {
          const near = new Set([...ours, ...found].map(([line]) => line));
          mismatches.push({ seed, file, host, port: lookup.port, ours, theirs: found, got, want, gotTypes, wantTypes, lines: [...near].map((n) => JSON.stringify(lines[n - 1])) });
        }
      }
    }));
    expect(mismatches, `seed ${seed}`).toEqual([]);
    // The random files are not all misses: every verdict comes up, and every kind of line matches somewhere.
    expect([...features].join(' ').split(' ').filter(Boolean).sort()).toEqual(expect.arrayContaining(['cert-authority', 'cr', 'hashed', 'list', 'negated', 'revoked', 'rsa-sha2', 'tab', 'wildcard']));
    for (const kind of ['trusted', 'changed', 'unknown', 'revoked']) expect(verdicts.get(kind), kind).toBeGreaterThan(fileCount / 4);

    function pick<T>(items: readonly T[]): T {
      return items[Math.floor(random() * items.length)]!;
    }
  }, forTier(30_000, 300_000));
});

describe('hostile files', () => {
  it('refuses a file over 16 MiB with a clear message', async () => {
    const file = path.join(dir, 'huge');
    await writeFile(file, Buffer.alloc(17 * 1024 * 1024, 'a'));
    const refusal = { code: 'INVALID_INPUT', message: expect.stringMatching(/known_hosts file .*huge is larger than 16 MiB/) };
    await expect(checkHostKey([file], 'db.example.com', 22, key('ed0').blob)).rejects.toMatchObject(refusal);
    await expect(knownKeyTypes([file], 'db.example.com', 22)).rejects.toMatchObject(refusal);
  });

  it('reads huge lines, binary junk and backtracking traps in linear time', async () => {
    const host = `${'a'.repeat(240)}.example`;
    const trap = `${'*a'.repeat(510)}*b`; // exponential for a backtracking matcher, given the host above
    const junk = Buffer.alloc(2 * 1024 * 1024);
    let state = 1;
    for (let i = 0; i < junk.length; i++) junk[i] = (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24;
    const parts = [
      Buffer.from(`${'x'.repeat(1024 * 1024)}\n`), // a 1 MiB host field
      Buffer.from(`${Array.from({ length: 1000 }, () => trap).join(',')},${'*a'.repeat(100)}*b ${key('ed1').type} ${key('ed1').base64}\n`),
      Buffer.from(`${Array.from({ length: 2000 }, () => `!${'?'.repeat(250)}*,*${'a?'.repeat(200)}`).join(',')} ${key('ed1').type} ${key('ed1').base64}\n`),
      Buffer.from(`${host} ssh-ed25519 ${'A'.repeat(1024 * 1024)}\n`), // a 1 MiB key for the host
      Buffer.from(`${host} ssh-ed25519 ${key('ed1').base64}${' '.repeat(1024 * 1024)}x\n`), // ... and a 1 MiB comment
      Buffer.from(`${','.repeat(1024 * 1024)} ssh-ed25519 x\n${'\n'.repeat(1024 * 1024)}`),
      Buffer.from(`@revoked${' '.repeat(1024 * 1024)}\n@${'@'.repeat(1024 * 1024)}\n`),
      junk,
      Buffer.from(`\n${`|1|${'A'.repeat(27)}=|${'B'.repeat(27)}= ssh-ed25519 x\n`.repeat(20_000)}`),
      Buffer.from(`${host} ${key('ed0').type} ${key('ed0').base64}\n`),
    ];
    const file = path.join(dir, 'hostile');
    await writeFile(file, Buffer.concat(parts));
    expect((await stat(file)).size).toBeLessThan(16 * 1024 * 1024);
    const started = performance.now();
    const verdict = await checkHostKey([file], host, 22, key('ed0').blob);
    const elapsed = performance.now() - started;
    expect(verdict).toEqual({ kind: 'trusted', file });
    expect(await knownKeyTypes([file], host, 22)).toEqual(['ssh-ed25519']);
    expect(elapsed, `${elapsed.toFixed(0)} ms`).toBeLessThan(3000);
    // A pattern after the traps still matches (a 1 MiB list of patterns is no reason to skip a line).
    expect((await findHostKeys([file], `${'a'.repeat(150)}b`, 22)).map((e) => e.line)).toEqual([2]);
  });

  it('treats a FIFO or a folder as holding no keys, without waiting on it', async () => {
    const fifo = path.join(dir, 'fifo');
    await run('mkfifo', [fifo]);
    await mkdir(path.join(dir, 'a-folder'));
    expect(await checkHostKey([fifo, path.join(dir, 'a-folder')], 'db.example.com', 22, key('ed0').blob)).toMatchObject({ kind: 'unknown' });
  });
});
