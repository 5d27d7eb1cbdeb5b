import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { AddressPolicy, assertAllowedLiteral, guardedLookup } from '@lattice/outbound';

/** A push gateway's answer: the pushkeys it refuses from now on (push-gateway-api "POST /_matrix/push/v1/notify"). */
export interface GatewayAnswer {
  rejected: string[];
}

/** The gateway did not take the notification; `retry` says whether a later attempt may succeed. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

/** Gateway answers are a list of pushkeys: anything larger is not one. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * POSTs notifications to push gateways. Their URLs come from clients, so
 * every connection goes through the outbound address policy (as
 * federation's do): a pusher cannot point this server at its own network.
 */
@Injectable()
export class PushGatewayClient implements OnModuleDestroy {
  private readonly addresses: AddressPolicy;
  private readonly timeoutMs: number;
  /** Kept-alive connections: a room's pushes go to a few gateways, thousands at a time. */
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };

  constructor(@Inject(LATTICE_CONFIG) config: LatticeConfig) {
    this.addresses = new AddressPolicy(config.outbound);
    this.timeoutMs = config.push.gatewayTimeoutMs;
  }

  onModuleDestroy(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  notify(url: string, body: unknown): Promise<GatewayAnswer> {
    const target = new URL(url);
    const payload = Buffer.from(JSON.stringify(body));
    const secure = target.protocol === 'https:';
    const request = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      try {
        assertAllowedLiteral(this.addresses, target.hostname.replace(/^\[|\]$/g, ''));
      } catch (e) {
        return reject(new GatewayError((e as Error).message, false));
      }
      const req = request(
        target,
        {
          method: 'POST',
          agent: secure ? this.agents.https : this.agents.http,
          lookup: guardedLookup(this.addresses),
          headers: { 'content-type': 'application/json', 'content-length': String(payload.length) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES)
              req.destroy(new GatewayError(`the answer of ${target.host} is too large`, true));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            // 429 and 5xx are passing trouble; any other refusal means this notification will never be taken.
            if (status < 200 || status >= 300)
              return reject(new GatewayError(`${target.host} answered ${status}`, status === 429 || status >= 500));
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { rejected?: unknown };
              resolve({
                rejected: Array.isArray(answer.rejected)
                  ? answer.rejected.filter((k): k is string => typeof k === 'string')
                  : [],
              });
            } catch {
              // A 2xx is acceptance; the body only matters for naming rejected pushkeys.
              resolve({ rejected: [] });
            }
          });
          res.on('error', (e) => reject(new GatewayError(e.message, true)));
        },
      );
      req.on('timeout', () =>
        req.destroy(new GatewayError(`${target.host} did not answer within ${this.timeoutMs} ms`, true)),
      );
      req.on('error', (e) =>
        reject(
          e instanceof GatewayError ? e : new GatewayError(e.message, !e.message.startsWith('Refused to connect')),
        ),
      );
      req.end(payload);
    });
  }
}
