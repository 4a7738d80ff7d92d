// One tunnel per job: the SSH chain, and a listener on 127.0.0.1:0 whose every connection becomes a
// channel from the last hop to the database as that hop sees it. node-postgres and every spawned
// tool (pg_dump, pg_dumpall, pg_restore, psql) connect to the listener, so no byte goes around it.
// The listener lives in this process: a killed Lifeboat leaves nothing listening. This runs inside
// the tunnel's worker thread (tunnel-thread.ts), so decrypting and forwarding every byte never waits
// for the job's own work on the main thread, nor holds it up.
import net from 'node:net';
import { LifeboatError } from '../errors.ts';
import type { TunnelReport } from '../model/profile.ts';
import { connectChain, openChannel, type ChainOptions, type ConnectedHop } from './ssh-chain.ts';
import { hopLabel } from './ssh-hop-login.ts';
import { peerIsThisUser } from './tunnel-peer.ts';
import { describeRoute, type Tunnel } from './ssh-route.ts';

export interface TunnelOptions extends ChainOptions {
  target: { host: string; port: number };
  /** Told the first time the tunnel fails a connection (dropped, or the database refused to the bastion). */
  onProblem?: (problem: LifeboatError) => void;
}

export async function openTunnel(options: TunnelOptions): Promise<Tunnel> {
  const hops = await connectChain(options);
  const last = hops[hops.length - 1]!;
  const state: TunnelState = { problem: null, closed: false, sockets: new Set(), onProblem: options.onProblem ?? (() => {}) };
  // The database must answer through the bastion before any job step counts on it.
  await openChannel(last, options.target.host, options.target.port, 'database').then((probe) => probe.close(), (error: unknown) => {
    closeHops(hops);
    throw error;
  });
  // Half-open allowed: a client that stops sending still gets the server's answer (allowHalfOpen: false would end our side at its FIN).
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => forward(socket, last, options.target, state));
  await listen(server).catch((error: unknown) => {
    closeHops(hops);
    throw error;
  });
  watchForDrop(hops, state, server);
  const report: TunnelReport = {
    hops: hops.map(({ hop, latencyMs }) => ({ host: hop.host, port: hop.port, user: hop.user, latencyMs })),
    target: `${options.target.host}:${options.target.port}`,
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    report,
    description: describeRoute(report),
    problem: () => state.problem,
    close: () => closeTunnel(state, server, hops),
  };
}

interface TunnelState {
  problem: LifeboatError | null;
  closed: boolean;
  sockets: Set<net.Socket>;
  onProblem: (problem: LifeboatError) => void;
}

function raise(state: TunnelState, problem: LifeboatError): void {
  if (state.problem) return;
  state.problem = problem;
  state.onProblem(problem);
}

function listen(server: net.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function forward(socket: net.Socket, last: ConnectedHop, target: { host: string; port: number }, state: TunnelState): void {
  socket.on('error', () => {});
  // Other users on this computer can reach 127.0.0.1 too: only this user's processes get through.
  if (state.closed || !peerIsThisUser(socket)) {
    socket.destroy();
    return;
  }
  state.sockets.add(socket);
  socket.once('close', () => state.sockets.delete(socket));
  socket.pause();
  openChannel(last, target.host, target.port, 'database').then((channel) => {
    // The client may have gone (or the tunnel closed) while the channel opened.
    if (socket.destroyed || state.closed) {
      channel.close();
      return;
    }
    channel.on('error', () => socket.destroy());
    channel.once('close', () => socket.destroy());
    socket.once('close', () => channel.close());
    socket.pipe(channel).pipe(socket);
    socket.resume();
  }, (error: LifeboatError) => {
    raise(state, error);
    socket.destroy();
  });
}

/** Any hop closing ends the tunnel: open connections are cut at once so a tool fails now, not at its timeout. */
function watchForDrop(hops: ConnectedHop[], state: TunnelState, server: net.Server): void {
  for (const { hop, client } of hops) {
    client.once('close', () => {
      if (state.closed) return;
      raise(state, new LifeboatError(
        'SSH_TUNNEL_DROPPED',
        `The SSH tunnel dropped: the connection to ${hopLabel(hop)} closed while the job was using it.`,
        `Check the network and that sshd on ${hop.host} is running, then try again. Nothing half-finished was kept.`,
      ));
      state.closed = true;
      server.close();
      for (const socket of state.sockets) socket.destroy();
      closeHops(hops);
    });
  }
}

async function closeTunnel(state: TunnelState, server: net.Server, hops: ConnectedHop[]): Promise<void> {
  state.closed = true;
  for (const socket of state.sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  closeHops(hops);
}

function closeHops(hops: ConnectedHop[]): void {
  for (const { client } of [...hops].reverse()) client.end();
}
