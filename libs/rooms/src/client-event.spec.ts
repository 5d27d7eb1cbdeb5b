import type { Pdu } from '@lattice/protocol';
import { toClientEvent } from './client-event';
import type { StoredEvent } from './room-reader';

const pdu = (fields: Partial<Pdu>): Pdu =>
  ({
    room_id: '!r:x',
    sender: '@a:x',
    type: 'm.room.message',
    content: {},
    origin_server_ts: 1,
    depth: 1,
    prev_events: [],
    auth_events: [],
    hashes: { sha256: '' },
    signatures: {},
    ...fields,
  }) as Pdu;

const stored = (fields: Partial<StoredEvent>): StoredEvent => ({
  eventId: '$e',
  roomId: '!r:x',
  roomVersion: '10',
  pdu: pdu({}),
  streamPos: 1n,
  depth: 1n,
  redactedBy: null,
  redactedBecause: null,
  txnId: null,
  senderDeviceId: null,
  ...fields,
});

describe('toClientEvent', () => {
  it('gives a redacted event its redaction event whole in unsigned.redacted_because', () => {
    const redaction = pdu({ type: 'm.room.redaction', sender: '@b:x', content: { redacts: '$e', reason: 'spam' } });
    const event = toClientEvent(stored({ redactedBy: '$redaction', redactedBecause: redaction }));
    expect(event.unsigned).toMatchObject({
      redacted_because: {
        event_id: '$redaction',
        room_id: '!r:x',
        type: 'm.room.redaction',
        sender: '@b:x',
        content: { redacts: '$e', reason: 'spam' },
        redacts: '$e',
      },
    });
  });

  it('gives an event that is not redacted no redacted_because', () => {
    expect(toClientEvent(stored({})).unsigned).not.toHaveProperty('redacted_because');
  });

  it('gives the sending device its transaction ID', () => {
    const event = toClientEvent(stored({ pdu: pdu({ sender: '@a:x' }), txnId: 't1', senderDeviceId: 'D' }), {
      userId: '@a:x',
      deviceId: 'D',
    });
    expect(event.unsigned).toMatchObject({ transaction_id: 't1' });
  });
});

describe('toClientEvent with bundled aggregations', () => {
  it('puts them in unsigned.m.relations', () => {
    const relations = { 'm.reference': { chunk: [{ event_id: '$r' }] } };
    expect(toClientEvent(stored({}), undefined, relations).unsigned).toMatchObject({ 'm.relations': relations });
  });
});
