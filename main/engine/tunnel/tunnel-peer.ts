// Who is connecting to a tunnel's local end. 127.0.0.1 is shared by every user of the computer, so
// without a check another local user could ride the tunnel to the database past the bastion's rules.
// On Linux the kernel's socket table names the owner of the connecting socket; elsewhere there is no
// cheap equivalent and the listener's random port plus the database's own login are the protection.
import { readFileSync } from 'node:fs';
import type net from 'node:net';

/** Whether the process on the other end of `socket` runs as this process's user (always true off Linux). */
export function peerIsThisUser(socket: net.Socket): boolean {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function') return true;
  const uid = socketOwner(socket.remotePort, socket.localPort);
  return uid === process.getuid();
}

/**
 * The uid owning the loopback socket whose local port is `peerPort` and remote port `ourPort`, from
 * /proc/net/tcp (lines: "sl local_address rem_address st … uid …", ports in hex). Null if not found,
 * which refuses the connection: an unknown peer is not let through.
 */
export function socketOwner(peerPort: number | undefined, ourPort: number | undefined, table = readTcpTable()): number | null {
  if (!peerPort || !ourPort) return null;
  const local = `:${hexPort(peerPort)}`;
  const remote = `:${hexPort(ourPort)}`;
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || !fields[1]!.endsWith(local) || !fields[2]!.endsWith(remote)) continue;
    if (!isLoopback(fields[1]!)) continue;
    const uid = Number(fields[7]);
    return Number.isInteger(uid) ? uid : null;
  }
  return null;
}

function readTcpTable(): string {
  try {
    return readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return '';
  }
}

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** 127.x.x.x as /proc/net/tcp writes it: the address in host byte order, so "0100007F" on x86. */
function isLoopback(address: string): boolean {
  const hex = address.split(':')[0]!;
  return hex.length === 8 && (hex.endsWith('7F') || hex.startsWith('7F'));
}
