import type { RequiredStatePairs } from './sliding-request';

/** What a rule asks to be sent for each room it matches (MSC4186 "room config"). */
export interface RoomConfig {
  timelineLimit: number;
  requiredState: RequiredStatePairs;
}

const WILDCARD = '*';
/** MSC4186 unstable `required_state` keys: the members needed to render the timeline, and the user asking. */
const LAZY = '$LAZY';
const ME = '$ME';

/**
 * MSC4186 "Combining room configs": the superset of two configs, the larger
 * timeline and the union of the required state.
 */
export function combineRoomConfigs(a: RoomConfig, b: RoomConfig): RoomConfig {
  const seen = new Set(a.requiredState.map((p) => JSON.stringify(p)));
  return {
    timelineLimit: Math.max(a.timelineLimit, b.timelineLimit),
    requiredState: [...a.requiredState, ...b.requiredState.filter((p) => !seen.has(JSON.stringify(p)))],
  };
}

/**
 * Which state events a `required_state` asks for: pairs of type and state
 * key, `*` matching anything, `$ME` the user asking, and
 * [m.room.member, $LAZY] the members the timeline shows (lazy members).
 */
export class RequiredState {
  readonly lazyMembers: boolean;

  constructor(
    private readonly pairs: RequiredStatePairs,
    private readonly userId: string,
  ) {
    this.lazyMembers = pairs.some(([type, key]) => type === 'm.room.member' && key === LAZY);
  }

  /** Whether another required_state selects the same (pair order aside). */
  sameAs(other: RequiredState): boolean {
    const key = (pairs: RequiredStatePairs) => JSON.stringify(pairs.map((p) => p.join('\u0000')).sort());
    return key(this.pairs) === key(other.pairs);
  }

  get isEmpty(): boolean {
    return this.pairs.every(([, key]) => key === LAZY);
  }

  matches(type: string, stateKey: string): boolean {
    return this.pairs.some(
      ([t, k]) =>
        k !== LAZY &&
        (t === WILDCARD || t === type) &&
        (k === WILDCARD || k === stateKey || (k === ME && stateKey === this.userId)),
    );
  }

  /** The types to read, or undefined for every type (a `*` type). */
  types(): string[] | undefined {
    if (this.pairs.some(([t, k]) => t === WILDCARD && k !== LAZY)) return undefined;
    return [...new Set(this.pairs.filter(([, k]) => k !== LAZY).map(([t]) => t))];
  }

  /** The members to read, or undefined for every member (a `*` state key of m.room.member, or of every type). */
  memberKeys(): string[] | undefined {
    const memberPairs = this.pairs.filter(([t, k]) => (t === 'm.room.member' || t === WILDCARD) && k !== LAZY);
    if (memberPairs.some(([, k]) => k === WILDCARD)) return undefined;
    return memberPairs.map(([, k]) => (k === ME ? this.userId : k));
  }
}
