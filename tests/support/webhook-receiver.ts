// A real HTTP server on 127.0.0.1 (a random port) that records every request — the webhook end of
// notification tests — and answers through `answer` (default: 200, empty).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

export interface Receiver {
  origin: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

export async function startReceiver(answer: (req: Received, res: http.ServerResponse, self: Receiver) => void = (_, res) => res.end()): Promise<Receiver> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const entry = { method: req.method!, url: req.url!, authorization: req.headers.authorization, body };
      received.push(entry);
      answer(entry, res, self);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const self: Receiver = {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
  return self;
}
