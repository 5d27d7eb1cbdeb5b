import type { ResolvableEvent } from '@lattice/protocol';
import type { Extremity, RoomHead } from '@lattice/rooms';
import type { NewEvent, RoomWrite } from '../storage/room-store';
import type { DagReader } from './dag-reader';
import { advanceExtremities } from './extremities';
import { resolveStateSets } from './resolve-sets';
import { stateAfter, type StateSet } from './state-set';

/**
 * A room while the writer plans events on it, before they are persisted:
 * `head` is what the next local event is built on (its state is the
 * current state, its extremities the forward extremities), `current` the
 * current state as a set, and `planned` the events added so far, which
 * later events of the batch may reference.
 */
export class DraftRoom {
  readonly head: RoomHead;
  current: StateSet;
  readonly events: NewEvent[] = [];
  readonly outliers: Array<{ eventId: string; pdu: NewEvent['pdu'] }> = [];
  readonly planned = new Map<string, ResolvableEvent>();
  /** The state after each planned event. */
  readonly after = new Map<string, StateSet>();

  constructor(
    stored: RoomHead,
    private readonly reader: DagReader,
  ) {
    this.head = { ...stored, extremities: [...stored.extremities] };
    this.current = { entries: this.head.state, snapshotNid: stored.snapshotNid };
  }

  /**
   * Adds a planned event: remembers the state after it, then moves the
   * forward extremities and, when they changed, the current state (the
   * resolution of the extremities' states).
   */
  async add(event: NewEvent, options: { referencedByKnownEvent: boolean }): Promise<void> {
    const rejected = event.status === 'rejected';
    const after = this.reader.remember(event.eventId, stateAfter(event.before, event, rejected));
    this.after.set(event.eventId, after);
    this.events.push(event);
    this.planned.set(event.eventId, { eventId: event.eventId, pdu: event.pdu, rejected });
    const counts = event.status === undefined || event.status === 'accepted';
    const extremities = advanceExtremities(this.head.extremities, event, {
      counts,
      referencedByKnownEvent: options.referencedByKnownEvent,
    });
    if (extremities === this.head.extremities) return;
    this.head.extremities = extremities;
    this.current =
      extremities.length === 1 && extremities[0].eventId === event.eventId
        ? after
        : await resolveStateSets(
            this.head.version,
            await Promise.all(extremities.map(async (x) => (x.eventId === event.eventId ? after : this.stateAfter(x)))),
            this.reader,
            this.batchEvents(),
          );
    this.head.state = this.current.entries;
  }

  /**
   * The events of the batch, none stored yet, for state resolution: those planned, and the outliers fetched for
   * them (the auth chains of fetched state, which resolution walks like any other).
   */
  batchEvents(extraOutliers: Array<{ eventId: string; pdu: NewEvent['pdu'] }> = []): Map<string, ResolvableEvent> {
    const events = new Map(this.planned);
    for (const { eventId, pdu } of [...this.outliers, ...extraOutliers])
      if (!events.has(eventId)) events.set(eventId, { eventId, pdu, rejected: false });
    return events;
  }

  /** The write that persists what was planned, with `head` the stored head it goes on. */
  write(head: RoomHead, epoch: bigint): RoomWrite {
    return {
      head,
      events: this.events,
      outliers: this.outliers,
      epoch,
      next: { state: this.current, extremities: this.head.extremities },
    };
  }

  private async stateAfter(extremity: Extremity): Promise<StateSet> {
    const planned = this.after.get(extremity.eventId);
    if (planned) return planned;
    const event = (await this.reader.events([extremity.eventId])).get(extremity.eventId);
    const state = event && (await this.reader.stateAfter(event));
    if (!state) throw new Error(`The state after forward extremity ${extremity.eventId} is unknown`);
    return state;
  }
}
