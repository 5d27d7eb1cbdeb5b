import { Body, Controller, Inject, Param, Put } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { queueOutbound } from '@lattice/federation';
import { Auth, Errors, GuestAllowed, Requester, Tenant, requireJsonObject } from '@lattice/http';
import { isValidHistoricalUserId, type JsonObject } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { addressedMessages, ToDeviceInbox } from '@lattice/streams';
import { directToDeviceEdu, routeToDevice, toDeviceMessageId, type ToDeviceMessages } from './route-to-device';

/**
 * PUT /sendToDevice/{eventType}/{txnId} (client-server-api "Send-to-Device
 * messaging"): messages for this deployment's devices go to their inboxes,
 * the rest to their servers as m.direct_to_device EDUs through the
 * federation outbox. Idempotent per (device, txnId).
 */
@Controller('_matrix/client/v3/sendToDevice')
export class SendToDeviceController {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(BUS) private readonly bus: Bus,
    private readonly tenants: TenantDirectory,
    private readonly inbox: ToDeviceInbox,
  ) {}

  // Not rate limited: the spec gives this endpoint no 429, and end-to-end encryption sends key shares here in bursts as large as a room.
  @GuestAllowed()
  @Put(':eventType/:txnId')
  async send(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('eventType') type: string,
    @Param('txnId') txnId: string,
    @Body() body: unknown,
  ) {
    const messages = validMessages(body);
    const txn = { userId: r.userId, deviceId: r.deviceId, txnId };
    if (await this.db.toDeviceTxn.findUnique({ where: { userId_deviceId_txnId: txn } })) return {};
    const { local, remote } = routeToDevice(messages, (server) => this.tenants.isLocal(server));
    // Remote parts are queued first: if the process dies before the inbox write, the client's retry queues them again under the same keys.
    const messageId = toDeviceMessageId(r.userId, r.deviceId, txnId);
    for (const [server, part] of remote) {
      await queueOutbound(this.db, [server], t.serverName, {
        edu: directToDeviceEdu(r.userId, type, messageId, part),
        dedupKey: `m.direct_to_device:${messageId}`,
      });
    }
    await this.inbox.deliver(
      addressedMessages(r.userId, type, local),
      async (tx) => (await tx.toDeviceTxn.createMany({ data: [txn], skipDuplicates: true })).count === 1,
    );
    if (remote.size > 0) await this.bus.publish('output.outbox', { destinations: [...remote.keys()] });
    return {};
  }
}

/** The request body, checked before anything is stored: every key a user ID, every message a JSON object. */
function validMessages(body: unknown): ToDeviceMessages {
  const messages = requireJsonObject(body).messages;
  if (messages === undefined) throw Errors.missingParam('Missing field: messages');
  if (!isObject(messages)) throw Errors.badJson('messages must be an object of user IDs');
  for (const [userId, devices] of Object.entries(messages)) {
    // Users of other servers may have historical IDs (appendices "Historical User IDs").
    if (!isValidHistoricalUserId(userId)) throw Errors.invalidParam(`Not a user ID: ${userId}`);
    if (!isObject(devices)) throw Errors.badJson(`messages.${userId} must be an object of device IDs`);
    for (const [deviceId, content] of Object.entries(devices)) {
      if (!isObject(content)) throw Errors.badJson(`messages.${userId}.${deviceId} must be a JSON object`);
    }
  }
  return messages as ToDeviceMessages;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
