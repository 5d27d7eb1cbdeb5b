import { Controller, Get, Param, Query } from '@nestjs/common';
import { Auth, Errors, GuestAllowed, Requester } from '@lattice/http';
import { BundledAggregations, roomViewOf, toClientEvent } from '@lattice/rooms';
import { parsePaginationToken } from '@lattice/streams';
import { StorageAccess } from '../storage-access';
import { awaitFullState, requireJoined, requireView } from './room-access';

/** Members, single events and the requester's rooms. */
@Controller('_matrix/client/v3')
export class RoomReadController {
  constructor(
    private readonly storage: StorageAccess,
    private readonly bundles: BundledAggregations,
  ) {}

  @Get('joined_rooms')
  async joinedRooms(@Auth() r: Requester) {
    return { joined_rooms: (await this.storage.reader.roomsOfUser(r.userId, ['join'])).map((x) => x.roomId) };
  }

  /** GET /members with the at / membership / not_membership filters. */
  @GuestAllowed()
  @Get('rooms/:roomId/members')
  async members(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Query('at') at?: string,
    @Query('membership') membership?: string,
    @Query('not_membership') notMembership?: string,
  ) {
    const view = await requireView(this.storage, roomId, r.userId);
    await awaitFullState(this.storage.reader, roomId);
    // A former member sees the members as they were when they left, at the latest.
    // The state at a token's point: after every event before it.
    const requested = at === undefined ? undefined : parsePaginationToken(at) - 1n;
    const horizon =
      view.kind === 'former' && (requested === undefined || requested > view.leftAt) ? view.leftAt : requested;
    const members =
      horizon === undefined
        ? this.storage.reader.currentState(roomId, 'm.room.member')
        : this.storage.reader.stateAt(roomId, horizon, 'm.room.member');
    const chunk = (await members)
      .filter(
        (e) =>
          (membership === undefined || e.pdu.content.membership === membership) &&
          (notMembership === undefined || e.pdu.content.membership !== notMembership),
      )
      .map((e) => toClientEvent(e));
    return { chunk };
  }

  @Get('rooms/:roomId/joined_members')
  async joinedMembers(@Auth() r: Requester, @Param('roomId') roomId: string) {
    await requireJoined(this.storage.reader, roomId, r.userId);
    await awaitFullState(this.storage.reader, roomId);
    const joined: Record<string, { display_name?: unknown; avatar_url?: unknown }> = {};
    for (const e of await this.storage.reader.currentState(roomId, 'm.room.member')) {
      if (e.pdu.content.membership === 'join')
        joined[e.pdu.state_key!] = {
          display_name: e.pdu.content.displayname ?? null,
          avatar_url: e.pdu.content.avatar_url ?? null,
        };
    }
    return { joined };
  }

  @GuestAllowed()
  @Get('rooms/:roomId/event/:eventId')
  async event(@Auth() r: Requester, @Param('roomId') roomId: string, @Param('eventId') eventId: string) {
    // An event the user may not see is not found, as if it did not exist (client-server-api GET /event: 404).
    const view = await roomViewOf(this.storage.reader, this.storage.visibility, roomId, r.userId);
    const event =
      view.kind === 'none' || view.kind === 'unknown' ? undefined : await this.storage.reader.event(eventId);
    const [shown] =
      event && event.roomId === roomId ? await this.storage.visibility.visibleToUser(r.userId, [event]) : [];
    if (!shown) throw Errors.notFound('Event not found');
    return (await this.bundles.clientEvents(r, [shown]))[0];
  }
}
