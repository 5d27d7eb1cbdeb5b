import type { RequiredStateRequest } from './sliding-request';

type Pair = [type: string, stateKey: string];

/**
 * One rule's `required_state`, from either form MSC4186 has had: the
 * [type, state_key] pairs of the unstable API Synapse and Element X speak
 * (`*` any, `$ME` the user asking, [m.room.member, $LAZY] lazy members), or
 * the later object form ({ include, exclude, lazy_members }, an omitted type
 * or state key matching any). State is selected when an `include` pair
 * matches and no `exclude` pair does.
 */
export interface StateSelector {
  include: Pair[];
  exclude: Pair[];
  lazy: boolean;
}

/** What a rule asks to be sent for each room it matches (MSC4186 "room config"). */
export interface RoomConfig {
  timelineLimit: number;
  /** One selector per rule the room matched: state any of them selects is sent (MSC4186 "Combining required_state", approach a). */
  requiredState: StateSelector[];
}

const WILDCARD = '*';
/** MSC4186 unstable `required_state` keys: the members needed to render the timeline, and the user asking. */
const LAZY = '$LAZY';
const ME = '$ME';

export function stateSelector(request: RequiredStateRequest): StateSelector {
  if (Array.isArray(request)) {
    return {
      include: request.filter(([, key]) => key !== LAZY),
      exclude: [],
      lazy: request.some(([type, key]) => type === 'm.room.member' && key === LAZY),
    };
  }
  const pairs = (elements: Array<{ type?: string; state_key?: string }> = []): Pair[] =>
    elements.map((e) => [e.type ?? WILDCARD, e.state_key ?? WILDCARD]);
  return { include: pairs(request.include), exclude: pairs(request.exclude), lazy: request.lazy_members === true };
}

/** A connection's record of what a room was sent with; connections from before selectors stored the pairs alone. */
export function storedSelectors(stored: StateSelector[] | Pair[]): StateSelector[] {
  return stored.some((s) => Array.isArray(s)) ? [stateSelector(stored as Pair[])] : (stored as StateSelector[]);
}

/**
 * MSC4186 "Combining room configs": the superset of two configs, the larger
 * timeline and the union of the required state.
 */
export function combineRoomConfigs(a: RoomConfig, b: RoomConfig): RoomConfig {
  const seen = new Set(a.requiredState.map((s) => JSON.stringify(s)));
  return {
    timelineLimit: Math.max(a.timelineLimit, b.timelineLimit),
    requiredState: [...a.requiredState, ...b.requiredState.filter((s) => !seen.has(JSON.stringify(s)))],
  };
}

/** Which state events the selectors of a room config ask for. */
export class RequiredState {
  readonly lazyMembers: boolean;
  private readonly selectors: StateSelector[];

  constructor(
    selectors: StateSelector[] | Pair[],
    private readonly userId: string,
  ) {
    this.selectors = storedSelectors(selectors);
    this.lazyMembers = this.selectors.some((s) => s.lazy);
  }

  /** Whether another required_state selects the same (pair and rule order aside). */
  sameAs(other: RequiredState): boolean {
    return canonical(this.selectors) === canonical(other.selectors);
  }

  get isEmpty(): boolean {
    return this.selectors.every((s) => s.include.length === 0);
  }

  matches(type: string, stateKey: string): boolean {
    const hit = ([t, k]: Pair) =>
      (t === WILDCARD || t === type) && (k === WILDCARD || k === stateKey || (k === ME && stateKey === this.userId));
    return this.selectors.some((s) => s.include.some(hit) && !s.exclude.some(hit));
  }

  /** The types to read (a superset: exclusions are applied by `matches`), or undefined for every type (a `*` type). */
  types(): string[] | undefined {
    const included = this.selectors.flatMap((s) => s.include);
    if (included.some(([t]) => t === WILDCARD)) return undefined;
    return [...new Set(included.map(([t]) => t))];
  }

  /** The members to read, or undefined for every member (a `*` state key of m.room.member, or of every type). */
  memberKeys(): string[] | undefined {
    const memberPairs = this.selectors
      .flatMap((s) => s.include)
      .filter(([t]) => t === 'm.room.member' || t === WILDCARD);
    if (memberPairs.some(([, k]) => k === WILDCARD)) return undefined;
    return memberPairs.map(([, k]) => (k === ME ? this.userId : k));
  }
}

function canonical(selectors: StateSelector[]): string {
  const pairs = (list: Pair[]) => list.map((p) => p.join('\u0000')).sort();
  return JSON.stringify(selectors.map((s) => JSON.stringify([pairs(s.include), pairs(s.exclude), s.lazy])).sort());
}
