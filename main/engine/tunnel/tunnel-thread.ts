// Opens a tunnel in a worker thread of its own (tunnel-worker.ts). Every byte a backup or restore
// moves through SSH is decrypted and forwarded there, so the job's main thread (hashing, encrypting,
// writing the archive) and the tunnel never wait for each other on one event loop.
import { Worker } from 'node:worker_threads';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import type { SshHop } from '../model/profile.ts';
import type { HopLogin } from './ssh-chain.ts';
import type { Tunnel } from './ssh-route.ts';
import { fromInfo, type FromWorker, type ToWorker } from './tunnel-messages.ts';
import { bundledWorkerFile, workerOptions } from '../files/worker-file.ts';

export interface ThreadTunnelOptions {
  hops: HopLogin[];
  target: { host: string; port: number };
  keepAliveSeconds: number;
  agentSocket: string | undefined;
  verifyHostKey(hop: SshHop, keyBlob: Buffer): Promise<void>;
  knownKeyTypes(hop: SshHop): Promise<string[]>;
  signal?: AbortSignal;
}

/**
 * The worker's file: the TypeScript source next to this one (the CLI, tests), or in the built app the
 * bundle's own entry out/main/tunnel-worker.js — beside this code, or one up when this code was split
 * into out/main/chunks/.
 */
export function openTunnelInWorker(options: ThreadTunnelOptions): Promise<Tunnel> {
  // Cancelled while the secrets were read: no thread, no connection.
  if (options.signal?.aborted) return Promise.reject(options.signal.reason);
  const worker = new Worker(bundledWorkerFile('tunnel-worker', import.meta.url, 'The SSH tunnel'), workerOptions());
  const send = (message: ToWorker) => worker.postMessage(message);
  let problem: LifeboatError | null = null;
  let closing: Promise<void> | null = null;
  return new Promise<Tunnel>((resolve, reject) => {
    const onAbort = () => {
      reject(options.signal?.reason);
      void worker.terminate();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => options.signal?.removeEventListener('abort', onAbort);
    const closed = new Promise<void>((done) => worker.once('exit', () => done()));
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ask') void answer(message, options, send);
      else if (message.type === 'problem') problem ??= fromInfo(message.error);
      else if (message.type === 'failed') {
        settle();
        reject(fromInfo(message.error));
        void worker.terminate();
      } else if (message.type === 'ready') {
        settle();
        resolve({
          port: message.port,
          report: message.report,
          description: message.description,
          problem: () => problem,
          close: () => (closing ??= closeWorker(worker, send, closed)),
        });
      }
    });
    worker.on('error', (error) => {
      problem ??= new LifeboatError('SSH_TUNNEL_DROPPED', `The SSH tunnel stopped: ${error.message}.`, 'Try again; if it happens again, please report it.', { cause: error });
      settle();
      reject(problem);
    });
    // A thread that ends on its own (not by close()) takes the tunnel with it: say so, and settle an open still waiting.
    worker.once('exit', () => {
      if (closing) return;
      problem ??= new LifeboatError('SSH_TUNNEL_DROPPED', 'The SSH tunnel stopped unexpectedly.', 'Try again; if it happens again, please report it.');
      settle();
      reject(problem);
    });
    send({ type: 'open', hops: options.hops, target: options.target, keepAliveSeconds: options.keepAliveSeconds, agentSocket: options.agentSocket });
  });
}

async function answer(message: Extract<FromWorker, { type: 'ask' }>, options: ThreadTunnelOptions, send: (message: ToWorker) => void): Promise<void> {
  try {
    if (message.question === 'types') {
      send({ type: 'answer', id: message.id, error: null, types: await options.knownKeyTypes(message.hop) });
    } else {
      await options.verifyHostKey(message.hop, Buffer.from(message.key));
      send({ type: 'answer', id: message.id, error: null });
    }
  } catch (error) {
    send({ type: 'answer', id: message.id, error: toErrorInfo(error) });
  }
}

/** Asks the worker to close the listener and the SSH connections, then ends the thread (at once if it does not answer). */
async function closeWorker(worker: Worker, send: (message: ToWorker) => void, exited: Promise<void>): Promise<void> {
  const closedByWorker = new Promise<void>((resolve) => {
    const onMessage = (message: FromWorker) => {
      if (message.type === 'closed') {
        worker.off('message', onMessage);
        resolve();
      }
    };
    worker.on('message', onMessage);
  });
  send({ type: 'close' });
  await Promise.race([closedByWorker, exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  await worker.terminate();
}
