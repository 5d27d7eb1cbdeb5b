import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Errors, type MatrixRequest } from '@lattice/http';
import { serverAclAllows, type JsonObject } from '@lattice/protocol';
import { FEDERATION_ROOM_READS, type FederationRoomReads } from '@lattice/rooms';

/** Reads rooms' server ACLs: whether a server may take part in a room, per its current m.room.server_acl. */
@Injectable()
export class ServerAcls {
  constructor(@Inject(FEDERATION_ROOM_READS) private readonly reader: FederationRoomReads) {}

  async allows(roomId: string, serverName: string): Promise<boolean> {
    const [acl] = await this.reader.currentState(roomId, 'm.room.server_acl');
    return serverAclAllows(acl?.pdu.content as JsonObject | undefined, serverName);
  }

  /** Per room, one read however many times a transaction asks. */
  memoized(): (roomId: string, serverName: string) => Promise<boolean> {
    const answers = new Map<string, Promise<boolean>>();
    return (roomId, serverName) => {
      const key = JSON.stringify([roomId, serverName]);
      let answer = answers.get(key);
      if (!answer) answers.set(key, (answer = this.allows(roomId, serverName)));
      return answer;
    };
  }
}

/**
 * Refuses a room-scoped federation request from a server the room's ACL
 * denies, with 403 M_FORBIDDEN (server-server-api "Server Access Control
 * Lists"): on the endpoints the spec says MUST be protected. Runs after
 * FederationAuthGuard, which established the origin.
 */
@Injectable()
export class ServerAclGuard implements CanActivate {
  constructor(private readonly acls: ServerAcls) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const request = ctx
      .switchToHttp()
      .getRequest<MatrixRequest & { federationOrigin?: string; params?: Record<string, string> }>();
    const roomId = request.params?.roomId;
    const origin = request.federationOrigin;
    if (roomId === undefined || origin === undefined) return true;
    if (!(await this.acls.allows(roomId, origin)))
      throw Errors.forbidden(`${origin} is denied access to ${roomId} by the room's server ACL`);
    return true;
  }
}
