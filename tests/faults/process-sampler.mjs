#!/usr/bin/env node
// Watches every process on the machine while the secrets test runs: each tick (default 20 ms) it
// reads /proc/*/cmdline, and /proc/*/environ of each process whenever its command line changes
// (a forked child shows its parent's environment until it execs), and looks for the needles.
// The needles arrive on stdin as one JSON line (never in argv or the environment, where the
// sampler would find them in itself); "stop" on stdin ends the run, and the report is printed on
// stdout as JSON: ticks, every process name seen (with a few command lines), and every hit.
//
// Environment hits in processes whose command line contains one of `exemptEnviron` are reported
// separately: the `lifeboat` CLI itself may hold the passphrase variable the user gave it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

const intervalMs = Number(process.argv[2] ?? 20);
const lines = createInterface({ input: process.stdin });
let config = null;
let stopping = false;
lines.on('line', (line) => {
  if (!config) {
    const parsed = JSON.parse(line);
    config = {
      needles: parsed.needles.map((n) => ({ secret: n.secret, form: n.form, bytes: Buffer.from(n.base64, 'base64') })),
      exemptEnviron: parsed.exemptEnviron ?? [],
    };
    process.stdout.write('ready\n');
    tick();
  } else if (line.trim() === 'stop') stopping = true;
});

const started = Date.now();
let ticks = 0;
/** pid → last command line read (raw bytes as a string), so environ is re-read when it changes. */
const known = new Map();
/** process name → up to 8 distinct command lines. */
const seen = new Map();
const hits = [];
const hitKeys = new Set();
const exemptHits = [];
let environReads = 0;

function nameOf(argv) {
  const first = (argv[0] ?? '').split(' ')[0];
  return path.basename(first).replace(/:$/, '');
}

function ppidOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function scan(pid, kind, bytes, argv, into) {
  for (const needle of config.needles) {
    if (bytes.indexOf(needle.bytes) === -1) continue;
    const key = `${pid}|${kind}|${needle.secret}|${needle.form}|${argv.join(' ')}`;
    if (hitKeys.has(key)) continue;
    hitKeys.add(key);
    into.push({ pid, ppid: ppidOf(pid), kind, secret: needle.secret, form: needle.form, name: nameOf(argv), argv: argv.join(' ').slice(0, 400) });
  }
}

function tick() {
  ticks++;
  const alive = new Set();
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    alive.add(pid);
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`);
    } catch {
      continue; // exited meanwhile
    }
    if (cmdline.length === 0) continue; // kernel thread or zombie
    const text = cmdline.toString('latin1');
    const argv = text.split('\0').filter(Boolean);
    scan(pid, 'argv', cmdline, argv, hits);
    if (known.get(pid) === text) continue;
    known.set(pid, text);
    const name = nameOf(argv);
    const lines = seen.get(name) ?? new Set();
    if (lines.size < 500) lines.add(argv.join(' ').slice(0, 300));
    seen.set(name, lines);
    let environ;
    try {
      environ = readFileSync(`/proc/${entry}/environ`);
      environReads++;
    } catch {
      continue;
    }
    const exempt = config.exemptEnviron.some((marker) => text.includes(marker));
    scan(pid, 'environ', environ, argv, exempt ? exemptHits : hits);
  }
  for (const pid of known.keys()) if (!alive.has(pid)) known.delete(pid);
  if (stopping) return finish();
  setTimeout(tick, intervalMs);
}

function finish() {
  const report = {
    ticks,
    durationMs: Date.now() - started,
    environReads,
    seen: Object.fromEntries([...seen].map(([name, set]) => [name, [...set]])),
    hits,
    exemptHits,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}
