import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  CrossSigningStore,
  DeviceKeyStore,
  DeviceListStore,
  type DeviceKeyQuery,
  type OneTimeKeyClaim,
} from '@lattice/accounts';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { FederationClient } from '@lattice/federation';
import { Auth, Errors, GuestAllowed, Requester, Tenant } from '@lattice/http';
import { serverNameOf, type JsonObject } from '@lattice/protocol';
import { DeviceListReader, parseSyncToken } from '@lattice/streams';
import { answerForAskedUsers } from './asked-users';

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');

/** Uploaded identity keys: the requester's own device's, with every field DeviceKeys requires (definitions/device_keys.yaml). */
function checkDeviceKeys(deviceKeys: JsonObject, r: Requester): void {
  if (deviceKeys.user_id !== r.userId || deviceKeys.device_id !== r.deviceId)
    throw Errors.badJson('device_keys must be for the device making the request');
  if (!isStringArray(deviceKeys.algorithms)) throw Errors.badJson('device_keys.algorithms must be a list of strings');
  if (!isObject(deviceKeys.keys)) throw Errors.badJson('device_keys.keys must be an object');
  if (!isObject(deviceKeys.signatures)) throw Errors.badJson('device_keys.signatures must be an object');
}

/** POST /keys/query's device_keys: user ID -> a list of device IDs (an object of device IDs, as some clients send, is malformed). */
function deviceKeyQuery(wanted: unknown): DeviceKeyQuery {
  if (!isObject(wanted)) throw Errors.badJson('device_keys must be an object');
  for (const [userId, deviceIds] of Object.entries(wanted)) {
    if (!isStringArray(deviceIds)) throw Errors.badJson(`device_keys.${userId} must be a list of device IDs`);
  }
  return wanted as DeviceKeyQuery;
}

/**
 * End-to-end encryption keys (client-server-api "End-to-End Encryption"):
 * devices upload theirs; queries and claims are answered here for this
 * deployment's users and over federation (/user/keys/query, /user/keys/claim)
 * for others', with a server that cannot be reached listed in `failures`.
 * Queries answer cross-signing keys too (uploaded through
 * cross-signing.controller.ts). New identity keys are a device-list change;
 * /keys/changes reads those.
 */
@Controller('_matrix/client/v3/keys')
export class KeysController {
  constructor(
    private readonly keys: DeviceKeyStore,
    private readonly deviceLists: DeviceListStore,
    private readonly crossSigning: CrossSigningStore,
    private readonly federation: FederationClient,
    private readonly tenants: TenantDirectory,
    private readonly changesReader: DeviceListReader,
  ) {}

  @GuestAllowed()
  @Post('upload')
  @HttpCode(200)
  async upload(@Auth() r: Requester, @Body() body: unknown) {
    const upload = (body ?? {}) as { device_keys?: JsonObject; one_time_keys?: JsonObject; fallback_keys?: JsonObject };
    const deviceKeys = upload.device_keys;
    if (deviceKeys) checkDeviceKeys(deviceKeys, r);
    for (const field of ['one_time_keys', 'fallback_keys'] as const) {
      const value = upload[field];
      if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value)))
        throw Errors.badJson(`${field} must be an object`);
    }
    const stored = await this.keys.upload(r.userId, r.deviceId, {
      deviceKeys,
      oneTimeKeys: upload.one_time_keys,
      fallbackKeys: upload.fallback_keys,
    });
    if (stored.deviceKeysChanged) await this.deviceLists.changed(r.userId, [r.deviceId], 'local');
    return { one_time_key_counts: stored.oneTimeKeyCounts };
  }

  /** Users whose device lists changed, or who stopped sharing a room with the requester, between two sync tokens. */
  @Get('changes')
  async changes(@Auth() r: Requester, @Query('from') from: string | undefined, @Query('to') to: string | undefined) {
    if (!from || !to) throw Errors.missingParam('from and to are required');
    const [after, upTo] = [parseSyncToken(from), parseSyncToken(to)];
    return this.changesReader.changes(r.userId, {
      events: { after: after.events, upTo: upTo.events },
      deviceLists: { after: after.deviceLists, upTo: upTo.deviceLists },
    });
  }

  @GuestAllowed()
  @Post('query')
  @HttpCode(200)
  async query(@Auth() r: Requester, @Tenant() t: TenantConfig, @Body() body: unknown) {
    const { local, remote } = this.split(deviceKeyQuery((body as { device_keys?: unknown })?.device_keys));
    const answer = {
      device_keys: (await this.keys.query(local)) as unknown as JsonObject,
      ...(await this.crossSigning.forQuery(Object.keys(local), r.userId)),
    };
    const failures = await this.askServers(
      t,
      remote,
      'keys/query',
      ['device_keys', 'master_keys', 'self_signing_keys'],
      answer,
    );
    // Signatures the requester's user-signing key made of other servers' users are kept here, not there.
    await this.crossSigning.addViewerSignatures(answer.master_keys, r.userId);
    return { ...answer, failures };
  }

  @GuestAllowed()
  @Post('claim')
  @HttpCode(200)
  async claim(@Auth() _r: Requester, @Tenant() t: TenantConfig, @Body() body: unknown) {
    const wanted = (body as { one_time_keys?: unknown })?.one_time_keys;
    if (typeof wanted !== 'object' || wanted === null || Array.isArray(wanted))
      throw Errors.badJson('one_time_keys must be an object');
    const { local, remote } = this.split(wanted as OneTimeKeyClaim);
    const oneTimeKeys: JsonObject = (await this.keys.claim(local)) as unknown as JsonObject;
    const failures = await this.askServers(t, remote, 'keys/claim', ['one_time_keys'], { one_time_keys: oneTimeKeys });
    return { one_time_keys: oneTimeKeys, failures };
  }

  /**
   * Asks each server about its users (/user/keys/query or /user/keys/claim),
   * merging each of `fields` of the answers into `into` (the first field is
   * the request's); returns the servers that failed.
   */
  private async askServers<T>(
    t: TenantConfig,
    remote: Map<string, Record<string, T>>,
    path: 'keys/query' | 'keys/claim',
    fields: string[],
    into: Record<string, JsonObject>,
  ): Promise<JsonObject> {
    const failures: JsonObject = {};
    for (const [server, users] of remote) {
      try {
        const answer = await this.federation.request<Record<string, JsonObject | undefined>>(
          t.serverName,
          server,
          'POST',
          `/_matrix/federation/v1/user/${path}`,
          { [fields[0]]: users as unknown as JsonObject },
        );
        for (const field of fields) Object.assign(into[field], answerForAskedUsers(answer[field], users));
      } catch (e) {
        failures[server] = { error: (e as Error).message };
      }
    }
    return failures;
  }

  /** This deployment's users, and the others grouped by their server. */
  private split<T>(byUser: Record<string, T>): { local: Record<string, T>; remote: Map<string, Record<string, T>> } {
    const local: Record<string, T> = {};
    const remote = new Map<string, Record<string, T>>();
    for (const [userId, value] of Object.entries(byUser)) {
      const server = serverNameOf(userId);
      if (!server) continue;
      if (this.tenants.isLocal(server)) local[userId] = value;
      else remote.set(server, { ...(remote.get(server) ?? {}), [userId]: value });
    }
    return { local, remote };
  }
}
