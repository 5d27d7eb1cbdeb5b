import type { Pdu } from '@lattice/protocol';
import type { Extremity } from '@lattice/rooms';
import { advanceExtremities } from './extremities';

const extremity = (eventId: string): Extremity => ({ eventId, eventNid: 1n, depth: 1, sha256: 'h' });
const event = (eventId: string, prev: string[]) => ({
  eventId,
  pdu: { prev_events: prev, depth: 2, hashes: { sha256: 'h' } } as unknown as Pdu,
});
const ids = (xs: Extremity[]) => xs.map((x) => x.eventId);
const accepted = { counts: true, referencedByKnownEvent: false };

describe('advanceExtremities', () => {
  it('replaces the extremity an event follows with the event', () => {
    expect(ids(advanceExtremities([extremity('$a')], event('$b', ['$a']), accepted))).toEqual(['$b']);
  });

  it('adds a second extremity for an event on an older prev event (a fork)', () => {
    expect(ids(advanceExtremities([extremity('$b')], event('$c', ['$a']), accepted))).toEqual(['$b', '$c']);
  });

  it('merges every extremity an event names', () => {
    expect(ids(advanceExtremities([extremity('$b'), extremity('$c')], event('$d', ['$b', '$c']), accepted))).toEqual([
      '$d',
    ]);
  });

  it('leaves the extremities alone for a rejected or soft-failed event', () => {
    const before = [extremity('$a')];
    expect(advanceExtremities(before, event('$b', ['$a']), { counts: false, referencedByKnownEvent: false })).toBe(
      before,
    );
  });

  it('leaves the extremities alone for an event a stored event already follows', () => {
    const before = [extremity('$c')];
    expect(advanceExtremities(before, event('$b', ['$a']), { counts: true, referencedByKnownEvent: true })).toBe(
      before,
    );
  });
});
