import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AppserviceClient, AppserviceRegistry, type AppserviceRegistration } from '@lattice/appservice-registry';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { AppserviceQueue } from './appservice-queue';
import { transactionBody } from './transaction-body';

/**
 * How long a sender holds a service without renewing: short, so a sender that died (its process
 * killed) gives the service up soon; renewed every LEASE_RENEW_MS while it sends.
 */
const LEASE_MS = 10_000;
const LEASE_RENEW_MS = 3_000;
/** Every service is looked at this often, so items queued by another process or left by a stopped one are sent. */
const SWEEP_MS = 2_000;

interface Backoff {
  delayMs: number;
  until: number;
}

/**
 * Sends each application service its queue as transactions
 * (application-service-api "Pushing events"), one at a time per service, in
 * queue order. A transaction the service does not accept is sent again,
 * the same one under the same ID, after an exponential backoff
 * (config appservices.retryInitialMs doubling to retryMaxMs), for as long as
 * the service stays away; nothing behind it leaves before it.
 */
@Injectable()
export class TransactionSender implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TransactionSender.name);
  private readonly owner = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly backoff = new Map<string, Backoff>();
  private readonly held = new Set<string>();
  private sweep: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly registry: AppserviceRegistry,
    private readonly queue: AppserviceQueue,
    private readonly client: AppserviceClient,
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
  ) {}

  onModuleInit(): void {
    this.sweep = setInterval(() => {
      for (const service of this.registry.everyService())
        if (service.url !== null) this.wake(service.serverName, service.id);
    }, SWEEP_MS);
    this.sweep.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweep);
    await Promise.all(this.running.values());
    for (const key of this.held) {
      const [serverName, serviceId] = key.split('\u0000');
      await this.queue.release(serverName, serviceId, this.owner);
    }
  }

  /** Something was queued for the service: send it now, unless a send is under way (then once more after it) or the service is backing off. */
  wake(serverName: string, serviceId: string): void {
    const key = `${serverName}\u0000${serviceId}`;
    if (this.stopping) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    const backoff = this.backoff.get(key);
    if (backoff && backoff.until > Date.now()) return;
    const run = this.drain(serverName, serviceId, key)
      .catch((e: Error) =>
        this.logger.error(`Sending to application service ${serviceId} of ${serverName} failed: ${e.message}`),
      )
      .finally(() => {
        this.running.delete(key);
        if (this.again.delete(key)) this.wake(serverName, serviceId);
      });
    this.running.set(key, run);
  }

  private async drain(serverName: string, serviceId: string, key: string): Promise<void> {
    const service = this.registry.byId(serverName, serviceId);
    if (!service || service.url === null) return;
    // A transaction may wait up to requestTimeoutMs for the service: the lease is kept meanwhile.
    const renewal = setInterval(() => {
      this.queue
        .lease(serverName, serviceId, this.owner, LEASE_MS)
        .catch((e: Error) => this.logger.warn(`Renewing the lease of ${serviceId} failed: ${e.message}`));
    }, LEASE_RENEW_MS);
    try {
      await this.drainHeld(service, key);
    } finally {
      clearInterval(renewal);
    }
  }

  private async drainHeld(service: AppserviceRegistration, key: string): Promise<void> {
    const { serverName, id: serviceId } = service;
    if (!(await this.queue.lease(serverName, serviceId, this.owner, LEASE_MS))) {
      this.held.delete(key);
      return;
    }
    this.held.add(key);
    // First what an earlier sender (or this one, before a failure) left unaccepted; then new transactions.
    let txn = await this.queue.unaccepted(serverName, serviceId);
    while (!this.stopping) {
      txn ??= await this.queue.newTransaction(serverName, serviceId, this.config.appservices.maxItemsPerTransaction);
      if (!txn) return;
      if (!(await this.send(service, key, txn.txnId, transactionBody(txn.items)))) return;
      await this.queue.accepted(serverName, serviceId, txn.txnId);
      txn = undefined;
    }
  }

  private async send(service: AppserviceRegistration, key: string, txnId: bigint, body: object): Promise<boolean> {
    try {
      await this.client.sendTransaction(service, txnId.toString(), body);
      this.backoff.delete(key);
      return true;
    } catch (e) {
      const { retryInitialMs, retryMaxMs } = this.config.appservices;
      const delayMs = Math.min(retryMaxMs, this.backoff.has(key) ? this.backoff.get(key)!.delayMs * 2 : retryInitialMs);
      this.backoff.set(key, { delayMs, until: Date.now() + delayMs });
      this.logger.warn(
        `Application service ${service.id} did not take transaction ${txnId} (${(e as Error).message}); trying again in ${delayMs} ms`,
      );
      setTimeout(() => this.wake(service.serverName, service.id), delayMs).unref();
      return false;
    }
  }
}
