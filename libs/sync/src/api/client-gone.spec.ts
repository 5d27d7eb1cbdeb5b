import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyReply } from 'fastify';
import { clientGoneSignal } from './client-gone';

/** A server whose one request's response (and its signal) the test drives. */
async function serverWithOneRequest(): Promise<{
  server: Server;
  port: number;
  response: Promise<{ res: ServerResponse; signal: AbortSignal }>;
}> {
  let handed: (value: { res: ServerResponse; signal: AbortSignal }) => void = () => undefined;
  const response = new Promise<{ res: ServerResponse; signal: AbortSignal }>((resolve) => (handed = resolve));
  const server = createServer((_req, res) => handed({ res, signal: clientGoneSignal({ raw: res } as FastifyReply) }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, response };
}

const closed = (res: ServerResponse) => new Promise((resolve) => res.once('close', resolve));

describe('clientGoneSignal', () => {
  it('aborts when the client hangs up before the answer', async () => {
    const { server, port, response } = await serverWithOneRequest();
    const req = request({ port, host: '127.0.0.1', path: '/' });
    req.on('error', () => undefined);
    req.end();
    const { res, signal } = await response;
    req.destroy();
    await closed(res);
    expect(signal.aborted).toBe(true);
    server.close();
  });

  it('stays quiet once the answer has been sent', async () => {
    const { server, port, response } = await serverWithOneRequest();
    const req = request({ port, host: '127.0.0.1', path: '/', agent: false });
    const answered = new Promise((resolve) => req.on('response', (r) => r.resume().on('end', resolve)));
    req.end();
    const { res, signal } = await response;
    const gone = closed(res);
    res.end('{}');
    await answered;
    await gone;
    expect(signal.aborted).toBe(false);
    server.close();
  });
});
