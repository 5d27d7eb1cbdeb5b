import type { Pdu } from '@lattice/protocol';
import type { StoredEvent } from '../room-reader';
import {
  isValidReplacement,
  latestInThread,
  mayHaveAggregations,
  mostRecentReplacement,
  threadAggregation,
} from './aggregation-rules';

const pdu = (fields: Partial<Pdu>): Pdu =>
  ({
    room_id: '!r:x',
    sender: '@a:x',
    type: 'm.room.message',
    content: { body: 'hi' },
    origin_server_ts: 1,
    depth: 1,
    prev_events: [],
    auth_events: [],
    hashes: { sha256: '' },
    signatures: {},
    ...fields,
  }) as Pdu;
const edit = (fields: Partial<Pdu> = {}) =>
  pdu({
    content: {
      body: '* hello',
      'm.new_content': { body: 'hello' },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$o' },
    },
    ...fields,
  });
const stored = (eventId: string, fields: Partial<Pdu> = {}, streamPos = 1n): StoredEvent =>
  ({
    eventId,
    roomId: '!r:x',
    roomVersion: '10',
    pdu: pdu(fields),
    streamPos,
    depth: 1n,
    redactedBy: null,
    redactedBecause: null,
    txnId: null,
    senderDeviceId: null,
  }) as StoredEvent;

describe('isValidReplacement', () => {
  it('accepts an edit by the same sender of the same type with m.new_content', () => {
    expect(isValidReplacement(pdu({}), edit())).toBe(true);
  });

  it('refuses an edit by another sender', () => {
    expect(isValidReplacement(pdu({}), edit({ sender: '@b:x' }))).toBe(false);
  });

  it('refuses an edit of another type', () => {
    expect(isValidReplacement(pdu({}), edit({ type: 'm.sticker' }))).toBe(false);
  });

  it('refuses an edit from another room', () => {
    expect(isValidReplacement(pdu({}), edit({ room_id: '!other:x' }))).toBe(false);
  });

  it('refuses to edit a state event', () => {
    expect(isValidReplacement(pdu({ state_key: '' }), edit())).toBe(false);
  });

  it('refuses to edit an edit', () => {
    expect(isValidReplacement(edit(), edit())).toBe(false);
  });

  it('refuses an edit without m.new_content', () => {
    expect(
      isValidReplacement(pdu({}), pdu({ content: { 'm.relates_to': { rel_type: 'm.replace', event_id: '$o' } } })),
    ).toBe(false);
  });

  it('accepts an encrypted edit, whose m.new_content it cannot read', () => {
    expect(
      isValidReplacement(
        pdu({ type: 'm.room.encrypted' }),
        pdu({
          type: 'm.room.encrypted',
          content: { ciphertext: 'x', 'm.relates_to': { rel_type: 'm.replace', event_id: '$o' } },
        }),
      ),
    ).toBe(true);
  });
});

describe('mostRecentReplacement', () => {
  it('picks the latest origin_server_ts', () => {
    expect(
      mostRecentReplacement([stored('$b', { origin_server_ts: 5 }), stored('$a', { origin_server_ts: 9 })])?.eventId,
    ).toBe('$a');
  });

  it('breaks a tie with the lexicographically largest event ID', () => {
    expect(
      mostRecentReplacement([
        stored('$b', { origin_server_ts: 5 }),
        stored('$c', { origin_server_ts: 5 }),
        stored('$a', { origin_server_ts: 5 }),
      ])?.eventId,
    ).toBe('$c');
  });

  it('has none of no replacements', () => {
    expect(mostRecentReplacement([])).toBeUndefined();
  });
});

describe('latestInThread', () => {
  it('is the reply with the highest position', () => {
    expect(latestInThread([stored('$a', {}, 3n), stored('$b', {}, 7n), stored('$c', {}, 5n)])?.eventId).toBe('$b');
  });
});

describe('threadAggregation', () => {
  it('counts the viewer as participating when they sent the root', () => {
    expect(threadAggregation({ event_id: '$l' }, 2, true, false)).toEqual({
      latest_event: { event_id: '$l' },
      count: 2,
      current_user_participated: true,
    });
  });

  it('counts the viewer as participating when they replied', () => {
    expect(threadAggregation({}, 1, false, true).current_user_participated).toBe(true);
  });

  it('does not count a viewer who did neither', () => {
    expect(threadAggregation({}, 1, false, false).current_user_participated).toBe(false);
  });
});

describe('mayHaveAggregations', () => {
  it('excludes state events', () => {
    expect(mayHaveAggregations(stored('$s', { state_key: '' }))).toBe(false);
  });

  it('includes other events', () => {
    expect(mayHaveAggregations(stored('$m'))).toBe(true);
  });
});
