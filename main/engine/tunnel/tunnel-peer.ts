// Who is connecting to a tunnel's local end. 127.0.0.1 is shared by every user of the computer, so
// without a check another local user could ride the tunnel to the database past the bastion's rules.
// On Linux the kernel's socket table names the owner of the connecting socket; elsewhere there is no
// cheap equivalent and the listener's random port plus the database's own login are the protection.
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';

/** Whether the process on the other end of `socket` runs as this process's user (always true off Linux). */
export function peerIsThisUser(socket: net.Socket): boolean {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function') return true;
  const uid = socketOwner({ address: socket.remoteAddress, port: socket.remotePort }, { address: socket.localAddress, port: socket.localPort });
  return uid === process.getuid();
}

/** ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK, CLOSING (include/net/tcp_states.h). */
const LIVE_STATES = new Set(['01', '04', '05', '08', '09', '0B']);

interface Endpoint {
  address: string | undefined;
  port: number | undefined;
}

/**
 * The uid owning the connecting socket: the one live row of /proc/net/tcp ("sl local rem st
 * … uid …") whose local end is exactly the peer (address and port) and whose remote end is exactly
 * our listener. Every part of both ends must match — a peer on 127.0.0.2 with the same port is
 * another socket — and anything but exactly one such row refuses the connection (null).
 */
export function socketOwner(peer: Endpoint, listener: Endpoint, table = readTcpTable()): number | null {
  const local = procAddress(peer);
  const remote = procAddress(listener);
  if (!local || !remote) return null;
  const owners: number[] = [];
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // A live socket (established, or already closing its sending side: a client that sent its
    // request and shut down writing); a TIME_WAIT or CLOSE leftover on the same ports is not the peer.
    if (fields.length < 8 || fields[1] !== local || fields[2] !== remote || !LIVE_STATES.has(fields[3]!)) continue;
    owners.push(Number(fields[7]));
  }
  return owners.length === 1 && Number.isInteger(owners[0]) ? owners[0]! : null;
}

function readTcpTable(): string {
  try {
    return readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return '';
  }
}

/** "127.0.0.1", 5432 as /proc/net/tcp writes it: the address's 32 bits in host byte order, then the port, in upper-case hex. */
export function procAddress(endpoint: Endpoint, endianness = os.endianness()): string | null {
  const address = endpoint.address?.replace(/^::ffff:/, '');
  const octets = address?.split('.').map(Number);
  if (!octets || octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || !endpoint.port) return null;
  const ordered = endianness === 'LE' ? [...octets].reverse() : octets;
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  return `${ordered.map((o) => hex(o, 2)).join('')}:${hex(endpoint.port, 4)}`;
}
