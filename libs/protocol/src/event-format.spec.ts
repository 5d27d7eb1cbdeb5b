import type { Pdu } from './events';
import { MAX_PDU_BYTES, oversizedInBytes, validateEventFormat } from './event-format';
import { getRoomVersion } from './room-versions';

const hash = 'A'.repeat(43);
const v11 = getRoomVersion('11');
const v12 = getRoomVersion('12');
const valid = (extra: Partial<Pdu> = {}): Pdu => ({
  room_id: '!r:x',
  sender: '@u:x',
  origin_server_ts: 1,
  type: 'm.room.message',
  content: {},
  prev_events: [`$${hash}`],
  auth_events: [],
  depth: 2,
  hashes: { sha256: 'h' },
  signatures: {},
  ...extra,
});

describe('event format checks', () => {
  it('accepts a well-formed event', () => {
    expect(validateEventFormat(v11, valid())).toBeUndefined();
  });

  it('refuses events over 65,536 bytes as canonical JSON', () => {
    const big = valid({ content: { body: 'x'.repeat(MAX_PDU_BYTES) } });
    expect(validateEventFormat(v11, big)).toEqual({ field: '(event)', rule: expect.stringContaining('65536') });
  });

  it.each([
    ['type', { type: 't'.repeat(256) }],
    ['state_key', { state_key: 's'.repeat(256) }],
    ['sender', { sender: 'not-a-user' }],
    ['room_id', { room_id: 'nope' }],
    ['depth', { depth: -1 }],
    ['content', { content: [] as unknown as Pdu['content'] }],
    ['prev_events', { prev_events: ['$short'] }],
  ])('names the field %s when it breaks its rule', (field, extra) => {
    expect(validateEventFormat(v11, valid(extra as Partial<Pdu>))?.field).toBe(field);
  });

  it('counts field limits in bytes from v11 and in codepoints before, where a field over 255 bytes only rejects the event', () => {
    const wide = valid({ state_key: '💥'.repeat(70) }); // 70 codepoints, 280 bytes
    expect(validateEventFormat(v11, wide)?.field).toBe('state_key');
    expect(validateEventFormat(getRoomVersion('10'), wide)).toBeUndefined();
    expect(oversizedInBytes(getRoomVersion('10'), wide)).toBe('state_key');
    expect(oversizedInBytes(getRoomVersion('10'), valid())).toBeUndefined();
  });

  it('refuses floats from v6 and accepts them before', () => {
    expect(validateEventFormat(v11, valid({ content: { n: 1.5 } }))?.field).toBe('content.n');
    expect(validateEventFormat(getRoomVersion('5'), valid({ content: { n: 1.5 } }))).toBeUndefined();
  });

  it('uses [event_id, hashes] references and origin event IDs in v1', () => {
    const v1 = getRoomVersion('1');
    expect(
      validateEventFormat(v1, valid({ event_id: '$e:x', prev_events: [['$p:x', { sha256: 'h' }]] })),
    ).toBeUndefined();
    expect(validateEventFormat(v1, valid({ event_id: '$e:x' }))?.field).toBe('prev_events');
    expect(validateEventFormat(v1, valid({ prev_events: [] }))?.field).toBe('event_id');
  });

  it('requires string power levels to be integers from v10', () => {
    const levels = valid({ type: 'm.room.power_levels', state_key: '', content: { users: { '@u:x': '100' } } });
    expect(validateEventFormat(getRoomVersion('10'), levels)).toEqual({
      field: 'content.users.@u:x',
      rule: 'must be an integer',
    });
    expect(validateEventFormat(getRoomVersion('9'), levels)).toBeUndefined();
  });

  it("wants a redaction's redacts, if any, to be a string: in content from v11 and top-level before", () => {
    expect(validateEventFormat(v11, valid({ type: 'm.room.redaction', content: { redacts: 1 } }))?.field).toBe(
      'content.redacts',
    );
    expect(
      validateEventFormat(getRoomVersion('10'), valid({ type: 'm.room.redaction', redacts: 1 as unknown as string }))
        ?.field,
    ).toBe('redacts');
    expect(validateEventFormat(v11, valid({ type: 'm.room.redaction', content: { redacts: '$e' } }))).toBeUndefined();
    expect(
      validateEventFormat(getRoomVersion('10'), valid({ type: 'm.room.redaction', redacts: '$e' })),
    ).toBeUndefined();
  });

  it('accepts a redaction naming no event (it redacts nothing)', () => {
    expect(validateEventFormat(v11, valid({ type: 'm.room.redaction', redacts: '$e' }))).toBeUndefined();
    expect(validateEventFormat(getRoomVersion('10'), valid({ type: 'm.room.redaction' }))).toBeUndefined();
  });

  it('v12: the create event has no room_id and other events use hash room IDs', () => {
    const create = valid({ room_id: undefined, type: 'm.room.create', state_key: '', prev_events: [], depth: 1 });
    expect(validateEventFormat(v12, create)).toBeUndefined();
    expect(validateEventFormat(v12, { ...create, room_id: `!${hash}` })?.field).toBe('room_id');
    expect(validateEventFormat(v12, valid())?.field).toBe('room_id');
    expect(validateEventFormat(v12, valid({ room_id: `!${hash}` }))).toBeUndefined();
  });
});
