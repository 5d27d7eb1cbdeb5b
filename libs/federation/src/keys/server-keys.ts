import { Logger } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import {
  publicKeyFromBase64,
  signJson,
  verifyJsonSignature,
  type JsonObject,
  type SigningKey,
} from '@lattice/protocol';
import { KEY_VALIDITY_MS } from '@lattice/rooms';
import type { PrismaClient } from '@lattice/storage';
import type { FederationClient } from '../client/federation-client';
import { checkKeyResponse } from './key-response';

/** The signing keys of our own server names (the tenants'), as the Keyring keeps them. */
export interface LocalKeys {
  signingKey(serverName: string): Promise<SigningKey>;
  publishedKeys(serverName: string): Promise<Array<{ keyId: string; publicKey: string; expiredTs: bigint | null }>>;
}

/** A server's keys are fetched at most this often, so requests naming unknown keys cannot make us hammer it. */
const MIN_REFRESH_INTERVAL_MS = 30_000;
/** How long a remote key read from the database is used without reading it again (a rotation may shorten its validity). */
const PARSED_KEY_TTL_MS = 60_000;
const MAX_PARSED_KEYS = 10_000;

export interface ServerKeysOptions {
  /** Whether a server name is one of ours: its keys are read locally, never fetched. */
  isLocal: (serverName: string) => boolean;
  /** Notaries to ask when a server cannot be reached directly (config federation.keyServers). */
  keyServers: string[];
}

/**
 * Every server's signing keys: our own from the keyring, others' from the
 * database, fetched when missing or no longer valid: from the server itself
 * (/_matrix/key/v2/server), then from the notaries (/_matrix/key/v2/query).
 * A fetched response is kept whole, so this server can be a notary too.
 */
export class ServerKeys {
  private readonly logger = new Logger(ServerKeys.name);
  private readonly lastRefresh = new Map<string, number>();
  /** Fetches under way, per server: a request that needs the same keys meanwhile waits for them. */
  private readonly refreshing = new Map<string, Promise<void>>();
  /**
   * Remote keys read from the database, parsed, per "server keyId": every
   * inbound request and PDU of a server needs the same one or two. An entry
   * is used for a minute while it covers the time asked for, then read again.
   */
  private readonly parsed = new Map<string, { key: KeyObject; validUntil: number; readAt: number }>();

  constructor(
    private readonly db: PrismaClient,
    private readonly client: FederationClient,
    private readonly local: LocalKeys,
    private readonly options: ServerKeysOptions,
  ) {}

  /** Our signed /_matrix/key/v2/server response for one of our server names. */
  async ownResponse(serverName: string): Promise<JsonObject> {
    const current = await this.local.signingKey(serverName);
    const verifyKeys: JsonObject = {};
    const oldKeys: JsonObject = {};
    for (const key of await this.local.publishedKeys(serverName)) {
      if (key.expiredTs === null) verifyKeys[key.keyId] = { key: key.publicKey };
      else oldKeys[key.keyId] = { key: key.publicKey, expired_ts: Number(key.expiredTs) };
    }
    return signJson(
      {
        server_name: serverName,
        valid_until_ts: Date.now() + KEY_VALIDITY_MS,
        verify_keys: verifyKeys,
        old_verify_keys: oldKeys,
      },
      serverName,
      current,
    );
  }

  /**
   * The public key `keyId` of `serverName` if it was valid at `validAt` (ms):
   * a current key until its valid_until_ts, an old one until it expired.
   */
  async publicKey(serverName: string, keyId: string, validAt: number): Promise<KeyObject | undefined> {
    const known = await this.keyValidity(serverName, keyId, validAt);
    return known && known.validUntil >= validAt ? known.key : undefined;
  }

  /**
   * The key and until when it may be used, fetched first if it is unknown
   * or not known to be valid at `validAt`. Keys carry no start of validity,
   * so a key valid until T verifies anything signed before T.
   */
  async keyValidity(
    serverName: string,
    keyId: string,
    validAt: number,
  ): Promise<{ key: KeyObject; validUntil: number } | undefined> {
    if (this.options.isLocal(serverName)) {
      const key = (await this.local.publishedKeys(serverName)).find((k) => k.keyId === keyId);
      return (
        key && {
          key: publicKeyFromBase64(key.publicKey),
          validUntil: key.expiredTs === null ? Number.MAX_SAFE_INTEGER : Number(key.expiredTs),
        }
      );
    }
    const id = `${serverName} ${keyId}`;
    const held = this.parsed.get(id);
    if (held && held.validUntil >= validAt && Date.now() - held.readAt < PARSED_KEY_TTL_MS)
      return { key: held.key, validUntil: held.validUntil };
    let stored = await this.usableKey(serverName, keyId, validAt);
    if (!stored) {
      await this.refresh(serverName, validAt, keyId);
      stored = await this.usableKey(serverName, keyId, validAt);
    }
    if (!stored) return undefined;
    const known = {
      key: publicKeyFromBase64(stored.publicKey),
      validUntil: Number(stored.expiredTs ?? stored.validUntilTs),
    };
    if (this.parsed.size >= MAX_PARSED_KEYS) this.parsed.clear();
    this.parsed.set(id, { ...known, readAt: Date.now() });
    return known;
  }

  /**
   * What this server answers as a notary for `serverName`: the responses it
   * holds (fetching them first when none is valid until `minimumValidUntil`).
   * The caller adds the notary's signature.
   */
  async responsesFor(serverName: string, minimumValidUntil: number): Promise<JsonObject[]> {
    if (this.options.isLocal(serverName)) return [await this.ownResponse(serverName)];
    const held = async () => this.db.remoteServerKey.findMany({ where: { serverName } });
    let rows = await held();
    if (!rows.some((r) => r.expiredTs === null && Number(r.validUntilTs) >= minimumValidUntil)) {
      await this.refresh(serverName, minimumValidUntil);
      rows = await held();
    }
    return [...new Set(rows.map((r) => r.response))].map((r) => JSON.parse(r) as JsonObject);
  }

  private async usableKey(serverName: string, keyId: string, validAt: number) {
    const row = await this.db.remoteServerKey.findUnique({ where: { serverName_keyId: { serverName, keyId } } });
    if (!row) return undefined;
    const until = Number(row.expiredTs ?? row.validUntilTs);
    return until >= validAt ? row : undefined;
  }

  /** Fetches a server's keys (fetchKeys), at most once per MIN_REFRESH_INTERVAL_MS and once at a time. */
  private refresh(serverName: string, minimumValidUntil: number, keyId?: string): Promise<void> {
    // A server's first requests often come together (a client's parallel downloads, a join): all wait for one fetch.
    const underWay = this.refreshing.get(serverName);
    if (underWay) return underWay;
    if (Date.now() - (this.lastRefresh.get(serverName) ?? 0) < MIN_REFRESH_INTERVAL_MS) return Promise.resolve();
    if (this.lastRefresh.size > 10_000) this.lastRefresh.clear();
    this.lastRefresh.set(serverName, Date.now());
    const fetching = this.fetchKeys(serverName, minimumValidUntil, keyId).finally(() =>
      this.refreshing.delete(serverName),
    );
    this.refreshing.set(serverName, fetching);
    return fetching;
  }

  /**
   * Fetches a server's keys, directly and then through each notary, until
   * one source answers validly. Notaries are asked for `keyId` by name when
   * it is known (some only fetch on a miss for named keys) with an explicit
   * minimum_valid_until_ts (which some require, though the spec makes it optional).
   */
  private async fetchKeys(serverName: string, minimumValidUntil: number, keyId?: string): Promise<void> {
    const direct = await this.client
      .get<JsonObject>(serverName, '/_matrix/key/v2/server')
      .catch((e: unknown) =>
        this.logger.debug(`Keys of ${serverName} not fetched directly; the notaries are asked: ${String(e)}`),
      );
    if (direct && (await this.store(serverName, direct))) return;
    for (const notary of this.options.keyServers) {
      if (notary === serverName) continue;
      const answer = await this.client
        .post<{ server_keys?: JsonObject[] }>(notary, '/_matrix/key/v2/query', {
          server_keys: { [serverName]: keyId ? { [keyId]: { minimum_valid_until_ts: minimumValidUntil } } : {} },
        })
        .catch((e: unknown) =>
          this.logger.debug(`Notary ${notary} did not answer for ${serverName}; the next one is asked: ${String(e)}`),
        );
      let stored = false;
      for (const response of answer?.server_keys ?? []) {
        if (await this.signedByNotary(response, notary)) stored = (await this.store(serverName, response)) || stored;
      }
      if (stored) return;
    }
  }

  /** A notary's answer counts only with the notary's own valid signature on it. */
  private async signedByNotary(response: JsonObject, notary: string): Promise<boolean> {
    const signatures = (response.signatures as Record<string, Record<string, string>> | undefined)?.[notary] ?? {};
    for (const keyId of Object.keys(signatures)) {
      const key = await this.publicKey(notary, keyId, Date.now()).catch((e: unknown) =>
        this.logger.debug(`Key ${keyId} of notary ${notary} not found; its signature is not counted: ${String(e)}`),
      );
      if (key && verifyJsonSignature(response, notary, keyId, key)) return true;
    }
    return false;
  }

  private async store(serverName: string, response: JsonObject): Promise<boolean> {
    const checked = checkKeyResponse(response, serverName, Date.now());
    if ('error' in checked) return false;
    const json = JSON.stringify(response);
    for (const key of checked.keys) {
      const data = {
        publicKey: key.publicKey,
        validUntilTs: BigInt(key.validUntilTs),
        expiredTs: key.expiredTs === undefined ? null : BigInt(key.expiredTs),
        response: json,
        fetchedAt: new Date(),
      };
      await this.db.remoteServerKey.upsert({
        where: { serverName_keyId: { serverName, keyId: key.keyId } },
        create: { serverName, keyId: key.keyId, ...data },
        update: data,
      });
    }
    return true;
  }
}
