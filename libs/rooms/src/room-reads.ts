import type { Provider } from '@nestjs/common';
import { RelationsReader } from './relations/relations-reader';
import { BundledAggregations } from './relations/bundled-aggregations';
import { RoomReader } from './room-reader';
import { EventVisibility } from './visibility/event-visibility';

/*
 * Each caller of the room reads sees only the reads it makes, as Dendrite's
 * roomserver/api gives each of its callers its own interface: what a
 * service depends on is visible in its types, and a change to a read touches
 * only the callers that make it. RoomReader implements them all; Nest
 * provides the one instance under each caller's token.
 */

/** What deciding a user's view of a room takes (visibility/room-view). */
export type RoomViewReads = Pick<
  RoomReader,
  'roomVersion' | 'membershipEntry' | 'hasForgotten' | 'currentState' | 'stateAt'
>;

/** What summarising a local room of a space takes (spaces/local-space-rooms). */
export type SpaceRoomReads = Pick<RoomReader, 'roomVersion' | 'currentState'>;

/** What listing a server's public room directory takes (public-rooms). */
export type PublicRoomReads = Pick<RoomReader, 'publishedRooms' | 'currentState'>;

/** Who is in a room and where a user is: presence routing, the rooms a user shares with others. */
export type MembershipReads = Pick<
  RoomReader,
  'roomsOfUser' | 'roomsOfUsers' | 'joinedServers' | 'joinedServersOfRooms' | 'hasJoinedMemberOn'
>;

/** The client-server API's reads: a room's state as a user may see it, its members, single events, the timeline around a time (search, upgrades, timestamp_to_event). */
export type ClientRoomReads = RoomViewReads &
  SpaceRoomReads &
  PublicRoomReads &
  MembershipReads &
  Pick<
    RoomReader,
    | 'stateEvent'
    | 'membership'
    | 'event'
    | 'events'
    | 'eventsByNid'
    | 'isPartialState'
    | 'timeline'
    | 'eventNearTimestamp'
  >;

/** The sync service's reads: timelines, state between positions, invites and knocks from other servers; the legacy /events stream and initialSync. */
export type SyncRoomReads = RoomViewReads &
  MembershipReads &
  PublicRoomReads &
  Pick<
    RoomReader,
    | 'event'
    | 'membership'
    | 'maxStreamPos'
    | 'remoteInviteState'
    | 'remoteKnockState'
    | 'outOfBandLeave'
    | 'stateChangedBetween'
    | 'currentStateOf'
    | 'statesAt'
    | 'timeline'
    | 'latestTimelines'
    | 'latestGaps'
    | 'roomsWithEvents'
    | 'eventHeadersInRange'
    | 'eventsByNid'
  >;

/** The federation API's reads: the DAG (auth chains, state before an event, walking back for backfill), membership for ACLs and routing. */
export type FederationRoomReads = SpaceRoomReads &
  PublicRoomReads &
  MembershipReads &
  Pick<
    RoomReader,
    | 'authChain'
    | 'stateBefore'
    | 'walkBack'
    | 'eventNearTimestamp'
    | 'eventHeadersInRange'
    | 'isFirstInTimeline'
    | 'event'
    | 'events'
    | 'eventsByNid'
    | 'knownEventIds'
    | 'isPartialState'
    | 'partialStateRooms'
    | 'membership'
    | 'stateEvent'
  >;

/** The room-server's one read outside its own store: which federated events it already has. */
export type WriterRoomReads = Pick<RoomReader, 'knownEventIds' | 'membership' | 'roomVersion'>;

export const CLIENT_ROOM_READS = Symbol('ClientRoomReads');
export const SYNC_ROOM_READS = Symbol('SyncRoomReads');
export const FEDERATION_ROOM_READS = Symbol('FederationRoomReads');
export const WRITER_ROOM_READS = Symbol('WriterRoomReads');

/**
 * One RoomReader over the shared database, under its own class and each
 * caller's token, and the read helpers built on the same tables (relations,
 * who may see what, bundled aggregations).
 */
export const ROOM_READ_PROVIDERS: Provider[] = [
  RoomReader,
  { provide: CLIENT_ROOM_READS, useExisting: RoomReader },
  { provide: SYNC_ROOM_READS, useExisting: RoomReader },
  { provide: FEDERATION_ROOM_READS, useExisting: RoomReader },
  { provide: WRITER_ROOM_READS, useExisting: RoomReader },
  RelationsReader,
  EventVisibility,
  BundledAggregations,
];
