/** A membership event in one of the viewer's rooms within the range looked at, in stream order. */
export interface MembershipChange {
  roomId: string;
  userId: string;
  membership: string;
}

/** Who may belong in `changed` or `left`, before checking who shares a room with the viewer now. */
export interface DeviceListCandidates {
  /** Users whose devices changed, or who came to share a room with the viewer. */
  changed: Set<string>;
  /** Users who left a room of the viewer's, or stayed in one the viewer left. */
  left: Set<string>;
}

/**
 * The users whose device list a client must look at again between two
 * positions (client-server-api "Tracking the device list for a user"):
 * those whose devices changed, and those whose sharing of a room with the
 * viewer began or ended. `membersOf` holds the joined members of each room
 * the viewer itself joined or left in the range: all of them count.
 */
export function deviceListCandidates(
  viewer: string,
  keyChanges: Iterable<string>,
  memberships: MembershipChange[],
  membersOf: ReadonlyMap<string, readonly string[]>,
): DeviceListCandidates {
  const changed = new Set(keyChanges);
  const left = new Set<string>();
  const viewerLast = new Map<string, string>();
  for (const m of memberships) {
    if (m.userId === viewer) viewerLast.set(m.roomId, m.membership);
    else if (m.membership === 'join') changed.add(m.userId);
    else if (m.membership === 'leave' || m.membership === 'ban') left.add(m.userId);
  }
  for (const [roomId, membership] of viewerLast) {
    const into = membership === 'join' ? changed : membership === 'leave' || membership === 'ban' ? left : undefined;
    for (const member of membersOf.get(roomId) ?? []) into?.add(member);
  }
  return { changed, left };
}

/** Rooms whose members `deviceListCandidates` needs: those where the viewer's own membership changed. */
export function roomsViewerMoved(viewer: string, memberships: MembershipChange[]): string[] {
  return [...new Set(memberships.filter((m) => m.userId === viewer).map((m) => m.roomId))];
}

/**
 * The /sync device_lists answer: candidates who share a room with the
 * viewer now are `changed`, those who share none are `left`. The viewer's
 * own changes are always reported (its other devices), and it never leaves itself.
 */
export function settleDeviceLists(
  viewer: string,
  candidates: DeviceListCandidates,
  sharingNow: ReadonlySet<string>,
): { changed: string[]; left: string[] } {
  const changed = [...candidates.changed].filter((u) => u === viewer || sharingNow.has(u));
  const left = [...candidates.left].filter((u) => u !== viewer && !sharingNow.has(u) && !candidates.changed.has(u));
  return { changed: changed.sort(), left: left.sort() };
}
