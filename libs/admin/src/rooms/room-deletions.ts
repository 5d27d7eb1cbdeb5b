import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TenantDirectory } from '@lattice/config';
import { Errors } from '@lattice/http';
import { RoomInputClient } from '@lattice/rooms';
import { PRISMA, type PrismaClient, type Prisma } from '@lattice/storage';
import { AdminRooms } from './admin-rooms';
import { RoomExits } from './room-exits';

export interface DeletionRequest {
  serverName: string;
  admin: string;
  roomId: string;
  block: boolean;
  purge: boolean;
}

/** What a finished shutdown reports, in Synapse's shape. */
export interface ShutdownResult {
  kicked_users: string[];
  failed_to_kick_users: string[];
  local_aliases: string[];
  new_room_id: null;
}

/**
 * Deleting a room (Synapse's "Delete Room API"): the tenant's users leave it,
 * its aliases and directory entry go, it is blocked if asked, and then, if
 * asked and no user of any tenant of this deployment is still in it, the
 * room-server purges its history. Runs in the background, recorded in
 * `room_deletions` for delete_status. A deletion cut short by a process
 * stopping stays "shutting_down" or "purging": starting it again finishes it.
 */
@Injectable()
export class RoomDeletions {
  private readonly logger = new Logger(RoomDeletions.name);

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    private readonly rooms: AdminRooms,
    private readonly exits: RoomExits,
    private readonly input: RoomInputClient,
    private readonly tenants: TenantDirectory,
  ) {}

  /** Starts the deletion and answers its ID at once; the work goes on after the request. */
  async start(request: DeletionRequest): Promise<string> {
    if (!(await this.rooms.isTenantRoom(request.serverName, request.roomId))) throw Errors.notFound('Room not found');
    const deleteId = randomBytes(12).toString('base64url');
    await this.db.roomDeletion.create({
      data: { deleteId, roomId: request.roomId, serverName: request.serverName, status: 'shutting_down' },
    });
    this.run(deleteId, request).catch((e: Error) =>
      this.logger.error(`Deletion ${deleteId} of ${request.roomId} failed: ${e.message}`),
    );
    return deleteId;
  }

  /** The deletion done before answering (the v1 API). */
  async runNow(request: DeletionRequest): Promise<ShutdownResult> {
    if (!(await this.rooms.isTenantRoom(request.serverName, request.roomId))) throw Errors.notFound('Room not found');
    const deleteId = randomBytes(12).toString('base64url');
    await this.db.roomDeletion.create({
      data: { deleteId, roomId: request.roomId, serverName: request.serverName, status: 'shutting_down' },
    });
    return this.run(deleteId, request);
  }

  async status(serverName: string, deleteId: string) {
    const row = await this.db.roomDeletion.findUnique({ where: { deleteId } });
    if (!row || row.serverName !== serverName) throw Errors.notFound('No deletion with that ID');
    return view(row);
  }

  async statusOfRoom(serverName: string, roomId: string) {
    const rows = await this.db.roomDeletion.findMany({
      where: { roomId, serverName },
      orderBy: { createdAt: 'asc' },
    });
    if (rows.length === 0) throw Errors.notFound('No deletion of that room');
    return rows.map(view);
  }

  private async run(deleteId: string, request: DeletionRequest): Promise<ShutdownResult> {
    try {
      if (request.block) await this.block(request.roomId, request.admin, true);
      const kicked: string[] = [];
      const failed: string[] = [];
      for (const userId of await this.rooms.tenantMembers(request.serverName, request.roomId)) {
        ((await this.exits.leave(request.roomId, userId, request.serverName)) ? kicked : failed).push(userId);
      }
      const aliases = await this.db.roomAlias.findMany({
        where: { roomId: request.roomId, serverName: request.serverName },
        select: { alias: true },
      });
      await this.db.roomAlias.deleteMany({ where: { roomId: request.roomId, serverName: request.serverName } });
      await this.db.publishedRoom.deleteMany({
        where: { roomId: request.roomId, serverName: request.serverName },
      });
      const result: ShutdownResult = {
        kicked_users: kicked,
        failed_to_kick_users: failed,
        local_aliases: aliases.map((a) => a.alias),
        new_room_id: null,
      };
      if (request.purge) {
        await this.update(deleteId, 'purging', result);
        const remaining = await this.localMembersLeft(request.roomId);
        if (remaining.length > 0)
          throw Errors.forbidden(
            `Not purged: users of other tenants of this deployment are still in the room (${remaining.join(', ')})`,
          );
        await this.input.submit({
          kind: 'purgeRoom',
          serverName: request.serverName,
          sender: request.admin,
          roomId: request.roomId,
        });
      }
      await this.update(deleteId, 'complete', result);
      return result;
    } catch (e) {
      await this.db.roomDeletion.update({
        where: { deleteId },
        data: { status: 'failed', error: (e as Error).message },
      });
      throw e;
    }
  }

  async block(roomId: string, admin: string, block: boolean): Promise<void> {
    if (block)
      await this.db.blockedRoom.upsert({ where: { roomId }, create: { roomId, blockedBy: admin }, update: {} });
    else await this.db.blockedRoom.deleteMany({ where: { roomId } });
  }

  async blockStatus(roomId: string): Promise<{ block: boolean; user_id?: string }> {
    const row = await this.db.blockedRoom.findUnique({ where: { roomId } });
    return row ? { block: true, user_id: row.blockedBy } : { block: false };
  }

  /** Joined or invited users of any tenant served here: purging would take the room from under them. */
  private async localMembersLeft(roomId: string): Promise<string[]> {
    const rows = await this.db.$queryRawUnsafe<Array<{ user_id: string }>>(
      `SELECT c.user_id FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid WHERE r.room_id = $1 AND c.membership IN ('join', 'invite')`,
      roomId,
    );
    return rows.map((r) => r.user_id).filter((userId) => this.tenants.isLocal(userId.slice(userId.indexOf(':') + 1)));
  }

  private async update(deleteId: string, status: string, result: ShutdownResult): Promise<void> {
    await this.db.roomDeletion.update({
      where: { deleteId },
      data: { status, result: result as unknown as Prisma.InputJsonValue },
    });
  }
}

function view(row: { deleteId: string; roomId: string; status: string; result: unknown; error: string | null }) {
  const result = row.result as Partial<ShutdownResult>;
  return {
    delete_id: row.deleteId,
    room_id: row.roomId,
    status: row.status,
    ...(row.error === null ? {} : { error: row.error }),
    shutdown_room: {
      kicked_users: result.kicked_users ?? [],
      failed_to_kick_users: result.failed_to_kick_users ?? [],
      local_aliases: result.local_aliases ?? [],
      new_room_id: null,
    },
  };
}
