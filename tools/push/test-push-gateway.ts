import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One device's notification as the gateway received it. */
export interface ReceivedPush {
  pushkey: string;
  appId: string;
  notification: Record<string, unknown>;
  /** When it arrived, in milliseconds since the epoch (fractional: comparable across processes to a microsecond or so). */
  at: number;
}

export interface TestPushGateway {
  /** The pusher `data.url` pointing here. */
  url: string;
  received: ReceivedPush[];
  /** Pushkeys answered as `rejected` (push-gateway-api: the homeserver must stop using them). */
  reject: Set<string>;
  /** How many of the next requests fail with 503, as a gateway that is down would. */
  failNext: number;
  /** The body of `POST /pushers/set` for an http pusher sending here, `event_id_only`. */
  pusher(pushkey: string): HttpPusher;
  close(): Promise<void>;
}

/** An http pusher as `POST /pushers/set` takes it (push.yaml). */
export interface HttpPusher {
  kind: 'http';
  app_id: string;
  app_display_name: string;
  device_display_name: string;
  pushkey: string;
  lang: string;
  data: { url: string; format: 'event_id_only' };
}

/**
 * A push gateway on loopback speaking push-gateway-api
 * `POST /_matrix/push/v1/notify`, recording what arrives. It stands in for
 * ntfy's Matrix gateway, which cannot be installed here (the Go module proxy
 * refuses heckel.io/ntfy/v2), and for Sygnal, which the PyPI mirror lacks.
 */
export async function startTestPushGateway(): Promise<TestPushGateway> {
  const gateway: Omit<TestPushGateway, 'url' | 'pusher' | 'close'> = { received: [], reject: new Set(), failNext: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/_matrix/push/v1/notify') {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }));
        return;
      }
      if (gateway.failNext > 0) {
        gateway.failNext--;
        res.writeHead(503).end();
        return;
      }
      const { notification } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        notification: Record<string, unknown> & { devices: Array<{ pushkey: string; app_id: string }> };
      };
      const at = performance.timeOrigin + performance.now();
      const rejected: string[] = [];
      for (const device of notification.devices) {
        if (gateway.reject.has(device.pushkey)) rejected.push(device.pushkey);
        else gateway.received.push({ pushkey: device.pushkey, appId: device.app_id, notification, at });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ rejected }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/_matrix/push/v1/notify`;
  return Object.assign(gateway, {
    url,
    pusher: (pushkey: string): HttpPusher => ({
      kind: 'http',
      app_id: 'org.example.app',
      app_display_name: 'Example',
      device_display_name: 'Phone',
      pushkey,
      lang: 'en',
      data: { url, format: 'event_id_only' },
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
