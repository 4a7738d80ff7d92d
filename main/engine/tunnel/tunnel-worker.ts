// The tunnel's own thread: the SSH connections, the local listener and the forwarding of every byte
// run here, on an event loop of their own. Host keys are still judged by the main thread (it holds
// the known_hosts files and what the user accepted): the worker asks, and waits for the answer.
import { parentPort } from 'node:worker_threads';
import type { SshHop } from '../model/profile.ts';
import type { Tunnel } from './ssh-route.ts';
import { openTunnel } from './ssh-tunnel.ts';
import { toErrorInfo } from '../errors.ts';
import { fromInfo, type FromWorker, type ToWorker } from './tunnel-messages.ts';

const port = parentPort!;
const pending = new Map<number, (answer: Extract<ToWorker, { type: 'answer' }>) => void>();
let nextId = 1;
let tunnel: Tunnel | null = null;

function send(message: FromWorker): void {
  port.postMessage(message);
}

function ask(question: 'verify', hop: SshHop, key: Buffer): Promise<Extract<ToWorker, { type: 'answer' }>>;
function ask(question: 'types', hop: SshHop): Promise<Extract<ToWorker, { type: 'answer' }>>;
function ask(question: 'verify' | 'types', hop: SshHop, key?: Buffer): Promise<Extract<ToWorker, { type: 'answer' }>> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    send(question === 'verify' ? { type: 'ask', id, question, hop, key: new Uint8Array(key!) } : { type: 'ask', id, question, hop });
  });
}

async function open(message: Extract<ToWorker, { type: 'open' }>): Promise<void> {
  try {
    tunnel = await openTunnel({
      hops: message.hops,
      target: message.target,
      keepAliveSeconds: message.keepAliveSeconds,
      agentSocket: message.agentSocket,
      verifyHostKey: async (hop, key) => {
        const answer = await ask('verify', hop, key);
        if (answer.error) throw fromInfo(answer.error);
      },
      knownKeyTypes: async (hop) => (await ask('types', hop)).types ?? [],
      onProblem: (problem) => send({ type: 'problem', error: toErrorInfo(problem) }),
    });
    send({ type: 'ready', port: tunnel.port, report: tunnel.report, description: tunnel.description });
  } catch (error) {
    send({ type: 'failed', error: toErrorInfo(error) });
  }
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'open') void open(message);
  else if (message.type === 'answer') {
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  } else if (message.type === 'close') {
    void (tunnel?.close() ?? Promise.resolve()).finally(() => send({ type: 'closed' }));
  }
});
