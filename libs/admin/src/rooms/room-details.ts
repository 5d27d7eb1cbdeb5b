import type { Pdu } from '@lattice/protocol';

/** A room as Synapse's admin room list shows it. */
export interface AdminRoomSummary {
  room_id: string;
  name: string | null;
  canonical_alias: string | null;
  joined_members: number;
  joined_local_members: number;
  version: string;
  creator: string | null;
  encryption: string | null;
  federatable: boolean;
  public: boolean;
  join_rules: string | null;
  guest_access: string | null;
  history_visibility: string | null;
  state_events: number;
  room_type: string | null;
}

/**
 * The list fields of a room from its current state. "Local" members are the
 * admin's tenant's: to an admin of one tenant, the others are other servers.
 */
export function roomSummary(
  roomId: string,
  version: string,
  state: readonly Pdu[],
  tenant: string,
  published: boolean,
): AdminRoomSummary {
  const content = (type: string, stateKey = '') =>
    state.find((e) => e.type === type && e.state_key === stateKey)?.content as Record<string, unknown> | undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const joined = state
    .filter((e) => e.type === 'm.room.member' && e.content.membership === 'join')
    .map((e) => e.state_key!);
  const create = state.find((e) => e.type === 'm.room.create');
  return {
    room_id: roomId,
    name: text(content('m.room.name')?.name),
    canonical_alias: text(content('m.room.canonical_alias')?.alias),
    joined_members: joined.length,
    joined_local_members: joined.filter((userId) => userId.slice(userId.indexOf(':') + 1) === tenant).length,
    version,
    // Room versions before 11 name the creator in the content; from 11 the sender is the creator.
    creator: text(create?.content.creator) ?? create?.sender ?? null,
    encryption: text(content('m.room.encryption')?.algorithm),
    federatable: create?.content['m.federate'] !== false,
    public: published,
    join_rules: text(content('m.room.join_rules')?.join_rule),
    guest_access: text(content('m.room.guest_access')?.guest_access),
    history_visibility: text(content('m.room.history_visibility')?.history_visibility),
    state_events: state.length,
    room_type: text(create?.content.type),
  };
}

/** The single-room view adds these to the summary. */
export function roomDetails(summary: AdminRoomSummary, state: readonly Pdu[]) {
  const content = (type: string) =>
    state.find((e) => e.type === type && e.state_key === '')?.content as Record<string, unknown> | undefined;
  return {
    ...summary,
    avatar: typeof content('m.room.avatar')?.url === 'string' ? content('m.room.avatar')!.url : null,
    topic: typeof content('m.room.topic')?.topic === 'string' ? content('m.room.topic')!.topic : null,
  };
}

/** Synapse's order_by values for the room list, each with how to compare two rooms. */
export const ROOM_ORDERINGS: Record<string, (a: AdminRoomSummary, b: AdminRoomSummary) => number> = {
  name: (a, b) => compareText(a.name, b.name),
  canonical_alias: (a, b) => compareText(a.canonical_alias, b.canonical_alias),
  joined_members: (a, b) => a.joined_members - b.joined_members,
  joined_local_members: (a, b) => a.joined_local_members - b.joined_local_members,
  version: (a, b) => compareText(a.version, b.version),
  creator: (a, b) => compareText(a.creator, b.creator),
  encryption: (a, b) => compareText(a.encryption, b.encryption),
  federatable: (a, b) => Number(a.federatable) - Number(b.federatable),
  public: (a, b) => Number(a.public) - Number(b.public),
  join_rules: (a, b) => compareText(a.join_rules, b.join_rules),
  guest_access: (a, b) => compareText(a.guest_access, b.guest_access),
  history_visibility: (a, b) => compareText(a.history_visibility, b.history_visibility),
  state_events: (a, b) => a.state_events - b.state_events,
};

/** Whether a room matches Synapse's search_term: a substring of its name, canonical alias or ID. */
export function matchesSearch(room: AdminRoomSummary, term: string): boolean {
  const needle = term.toLowerCase();
  return [room.name, room.canonical_alias, room.room_id].some((v) => v !== null && v.toLowerCase().includes(needle));
}

function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a.localeCompare(b);
}
