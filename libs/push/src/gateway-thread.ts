/**
 * The push gateway client's thread (a worker_thread started by push-gateway-client.ts): the HTTP requests of
 * pushes, so that a message to a room of 10,000 members, 10,000 requests, costs the event loop that answers
 * sends one message per slice of them instead of every request's writes, parsing and callbacks.
 *
 * It only sends: the outbound address policy was applied on the starting thread, which hands over the addresses
 * each request may connect to. Node loads this file itself (as TypeScript when tests run the sources), so it
 * imports nothing of the project's.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupAddress } from 'node:dns';
import { parentPort, workerData } from 'node:worker_threads';

/** What the starting thread hands over (workerData). */
export interface GatewayThreadOptions {
  /** How long a gateway has to answer. */
  timeoutMs: number;
}

/** One notification to POST: the gateway's URL, the addresses allowed for its host (none for an IP literal), the JSON body. */
export interface GatewayRequest {
  url: string;
  addresses: LookupAddress[];
  body: string;
}

/** A gateway's answer (the pushkeys it rejects), or why there is none and whether trying again may help. */
export type GatewayOutcome = { rejected: string[] } | { error: string; retry: boolean };

/** The starting thread's batch of requests, and the thread's outcomes of it, in the same order. */
export interface GatewayBatch {
  batch: number;
  requests: GatewayRequest[];
}
export interface GatewayBatchOutcome {
  batch: number;
  outcomes: GatewayOutcome[];
}

/** Gateway answers are a list of pushkeys: anything larger is not one. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** A failure that carries whether a later attempt may succeed. */
class Failure extends Error {
  retry: boolean;
  constructor(message: string, retry: boolean) {
    super(message);
    this.retry = retry;
  }
}

const { timeoutMs } = workerData as GatewayThreadOptions;
/** Kept-alive connections: a room's pushes go to a few gateways, thousands at a time. */
const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
};

function post({ url, addresses, body }: GatewayRequest): Promise<{ rejected: string[] }> {
  const target = new URL(url);
  const payload = Buffer.from(body);
  const secure = target.protocol === 'https:';
  const request = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        // Only the addresses the starting thread allowed (sockets skip lookup for an IP literal, checked there).
        lookup: (_host, options, callback) =>
          options.all ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family),
        headers: { 'content-type': 'application/json', 'content-length': String(payload.length) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new Failure(`the answer of ${target.host} is too large`, true));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          // 429 and 5xx are passing trouble; any other refusal means this notification will never be taken.
          if (status < 200 || status >= 300)
            return reject(new Failure(`${target.host} answered ${status}`, status === 429 || status >= 500));
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
        res.on('error', (e) => reject(new Failure(e.message, true)));
      },
    );
    req.on('timeout', () => req.destroy(new Failure(`${target.host} did not answer within ${timeoutMs} ms`, true)));
    req.on('error', (e) => reject(e instanceof Failure ? e : new Failure(e.message, true)));
    req.end(payload);
  });
}

/** Answers a batch once each of its requests has its outcome. */
async function answer({ batch, requests }: GatewayBatch): Promise<void> {
  const settled = await Promise.allSettled(requests.map(post));
  const outcomes = settled.map((s): GatewayOutcome => {
    if (s.status === 'fulfilled') return s.value;
    const e = s.reason as Error;
    return { error: e.message, retry: e instanceof Failure ? e.retry : true };
  });
  parentPort!.postMessage({ batch, outcomes } satisfies GatewayBatchOutcome);
}

parentPort!.on('message', (batch: GatewayBatch) => void answer(batch));
