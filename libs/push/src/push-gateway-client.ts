import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { Worker } from 'node:worker_threads';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { AddressPolicy, assertAllowedLiteral, guardedLookup, RefusedDestinationError } from '@lattice/outbound';
import { startScriptThread } from '@lattice/storage';
import type {
  GatewayBatch,
  GatewayBatchOutcome,
  GatewayOutcome,
  GatewayRequest,
  GatewayThreadOptions,
} from './gateway-thread';

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

/** With nothing to send for this long, the thread ends (it is started again by the next push): idle memory. */
const IDLE_MS = 60_000;

interface Pending {
  url: string;
  body: string;
  settle: (outcome: GatewayOutcome) => void;
}

/**
 * POSTs notifications to push gateways. Their URLs come from clients, so
 * every connection goes through the outbound address policy (as
 * federation's do): a pusher cannot point this server at its own network.
 * The requests go on a thread of their own (gateway-thread.ts), the ones
 * asked for in one turn of the event loop as one message: the thread
 * connects only to the addresses the policy allowed here.
 */
@Injectable()
export class PushGatewayClient implements OnModuleDestroy {
  private readonly logger = new Logger(PushGatewayClient.name);
  private readonly addresses: AddressPolicy;
  private readonly lookup: ReturnType<typeof guardedLookup>;
  private readonly timeoutMs: number;
  private thread: Worker | undefined;
  private idle: NodeJS.Timeout | undefined;
  private queued: Pending[] = [];
  private nextBatch = 0;
  /** Batches sent to the thread and not answered yet. */
  private readonly inFlight = new Map<number, { thread: Worker; pending: Pending[] }>();

  constructor(@Inject(LATTICE_CONFIG) config: LatticeConfig) {
    this.addresses = new AddressPolicy(config.outbound);
    this.lookup = guardedLookup(this.addresses, dnsLookup);
    this.timeoutMs = config.push.gatewayTimeoutMs;
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.idle);
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
  }

  notify(url: string, body: unknown): Promise<GatewayAnswer> {
    return new Promise((resolve, reject) => {
      const settle = (outcome: GatewayOutcome) =>
        'error' in outcome ? reject(new GatewayError(outcome.error, outcome.retry)) : resolve(outcome);
      this.queued.push({ url, body: JSON.stringify(body), settle });
      if (this.queued.length === 1) setImmediate(() => void this.flush());
    });
  }

  /**
   * Sends what was asked for since the last flush as one batch, each host's addresses looked up once for all of
   * its requests; a request to a refused address fails here.
   */
  private async flush(): Promise<void> {
    const queued = this.queued;
    this.queued = [];
    const hosts = new Map<string, Promise<LookupAddress[]>>();
    const sendable: Array<{ pending: Pending; request: GatewayRequest }> = [];
    for (const pending of queued) {
      try {
        const host = new URL(pending.url).hostname.replace(/^\[|\]$/g, '');
        if (!hosts.has(host)) hosts.set(host, this.allowed(host));
        sendable.push({
          pending,
          request: { url: pending.url, addresses: await hosts.get(host)!, body: pending.body },
        });
      } catch (e) {
        const message = (e as Error).message;
        pending.settle({ error: message, retry: !(e instanceof RefusedDestinationError) });
      }
    }
    if (sendable.length === 0) return;
    const thread = this.running();
    const batch = this.nextBatch++;
    this.inFlight.set(batch, { thread, pending: sendable.map((s) => s.pending) });
    clearTimeout(this.idle);
    thread.postMessage({ batch, requests: sendable.map((s) => s.request) } satisfies GatewayBatch);
  }

  /** The addresses of the host that the policy allows: none for an allowed IP literal (sockets do not look those up). */
  private allowed(host: string): Promise<LookupAddress[]> {
    try {
      assertAllowedLiteral(this.addresses, host);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (isIP(host)) return Promise.resolve([]);
    return new Promise((resolve, reject) =>
      this.lookup(host, { all: true }, (error, addresses) =>
        error ? reject(error) : resolve(addresses as LookupAddress[]),
      ),
    );
  }

  private running(): Worker {
    if (this.thread) return this.thread;
    const thread = startScriptThread(__dirname, 'gateway-thread', {
      name: 'push-gateway',
      workerData: { timeoutMs: this.timeoutMs } satisfies GatewayThreadOptions,
    });
    thread.on('message', ({ batch, outcomes }: GatewayBatchOutcome) => {
      const sent = this.inFlight.get(batch);
      this.inFlight.delete(batch);
      sent?.pending.forEach((p, i) => p.settle(outcomes[i]));
      if (this.inFlight.size === 0 && this.queued.length === 0) this.idleStop(thread);
    });
    thread.on('error', (e) => this.logger.warn(`the push gateway thread failed: ${e.message}`));
    // A thread that ended leaves its batches unanswered: they fail as a gateway that did not answer, and are retried.
    thread.on('exit', () => {
      if (this.thread === thread) this.thread = undefined;
      for (const [batch, sent] of this.inFlight) {
        if (sent.thread !== thread) continue;
        this.inFlight.delete(batch);
        for (const p of sent.pending) p.settle({ error: 'the push gateway thread ended', retry: true });
      }
    });
    thread.unref();
    this.thread = thread;
    return thread;
  }

  private idleStop(thread: Worker): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.thread !== thread || this.inFlight.size > 0) return;
      this.thread = undefined;
      void thread.terminate();
    }, IDLE_MS);
    this.idle.unref();
  }
}
