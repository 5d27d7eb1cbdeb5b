import type { SpaceRoomReads } from '../room-reads';
import type { HierarchyRoom } from './hierarchy-walk';
import { roomSummary } from './room-summary';
import { childStateEvents } from './space-children';

/** A room of this server as a hierarchy shows it, and each member's current membership. */
export interface LocalSpaceRoom {
  room: HierarchyRoom;
  memberships: Map<string, string>;
}

/** Reads rooms of this server for space hierarchies (client and federation GET /hierarchy). */
export class LocalSpaceRooms {
  constructor(private readonly reader: SpaceRoomReads) {}

  /** Undefined for a room this server does not have. */
  async load(roomId: string): Promise<LocalSpaceRoom | undefined> {
    const version = await this.reader.roomVersion(roomId);
    if (!version) return undefined;
    const state = (await this.reader.currentState(roomId)).map((e) => e.pdu);
    const memberships = new Map(
      state.filter((e) => e.type === 'm.room.member').map((e) => [e.state_key!, String(e.content.membership)]),
    );
    const summary = roomSummary(roomId, version.id, state);
    // space_hierarchy.yaml children_state: "If the room is not a space-room, this should be empty."
    return {
      room: { ...summary, children_state: summary.room_type === 'm.space' ? childStateEvents(state) : [] },
      memberships,
    };
  }
}
