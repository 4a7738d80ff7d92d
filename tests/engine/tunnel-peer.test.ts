// The tunnel's peer check reads the kernel's socket table: only the one established row whose ends
// are exactly the peer and the listener names the owner (a look-alike on 127.0.0.2 or a TIME_WAIT
// leftover must not), and against the real table it finds this process's own connections.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { procAddress, socketOwner } from '../../main/engine/tunnel/tunnel-peer.ts';

const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const row = (local: string, remote: string, st: string, uid: number) => `   0: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000  ${uid}        0 1 1 0000000000000000 20 4 30 10 -1`;

describe('the tunnel peer check', () => {
  it('writes addresses as /proc/net/tcp does', () => {
    expect(procAddress({ address: '127.0.0.1', port: 5432 }, 'LE')).toBe('0100007F:1538');
    expect(procAddress({ address: '::ffff:127.0.0.2', port: 1 }, 'LE')).toBe('0200007F:0001');
    expect(procAddress({ address: '127.0.0.1', port: 5432 }, 'BE')).toBe('7F000001:1538');
    expect(procAddress({ address: '::1', port: 5432 })).toBeNull();
  });

  it('needs exactly one live row whose both ends match', () => {
    const peer = { address: '127.0.0.1', port: 40000 };
    const listener = { address: '127.0.0.1', port: 45000 };
    const ours = row('0100007F:9C40', '0100007F:AFC8', '01', 1000);
    const lookAlike = row('0200007F:9C40', '0100007F:AFC8', '01', 2000);
    const timeWait = row('0100007F:9C40', '0100007F:AFC8', '06', 0);
    expect(socketOwner(peer, listener, [header, lookAlike, ours].join('\n')), 'another address with the same port is another socket').toBe(1000);
    expect(socketOwner({ address: '127.0.0.2', port: 40000 }, listener, [header, ours, lookAlike].join('\n'))).toBe(2000);
    expect(socketOwner(peer, listener, [header, timeWait, ours].join('\n'))).toBe(1000);
    expect(socketOwner(peer, listener, [header, ours.replace(' 01 ', ' 04 ')].join('\n')), 'a client that already shut down writing').toBe(1000);
    expect(socketOwner(peer, listener, [header, ours, ours.replace(' 1000 ', ' 2000 ')].join('\n')), 'two rows: refuse').toBeNull();
    expect(socketOwner(peer, listener, header)).toBeNull();
  });

  it.skipIf(process.platform !== 'linux')('finds this process as the owner of its own loopback connection', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const socket = await accepted;
    expect(socketOwner({ address: socket.remoteAddress, port: socket.remotePort }, { address: socket.localAddress, port: socket.localPort })).toBe(process.getuid!());
    client.destroy();
    socket.destroy();
    server.close();
  });
});
