import { redactEvent } from './redaction';
import { getRoomVersion } from './room-versions';

const base = {
  sender: '@u:x',
  room_id: '!r:x',
  origin: 'x',
  origin_server_ts: 1,
  depth: 1,
  prev_events: [],
  auth_events: [],
  hashes: { sha256: 'h' },
  signatures: {},
  unsigned: { age: 1 },
  membership: 'join',
  prev_state: [],
};
const redact = (version: string, type: string, content: object, extra: object = {}) =>
  redactEvent(getRoomVersion(version), { ...base, type, state_key: '', content, ...extra });

describe('redaction', () => {
  it('strips non-essential top-level keys and unsigned', () => {
    const out = redact('1', 'm.room.message', { body: 'x' }, { extra: 1 });
    expect(out).not.toHaveProperty('extra');
    expect(out).not.toHaveProperty('unsigned');
    expect(out.content).toEqual({});
    expect(out).toHaveProperty('origin');
  });

  it('v11 no longer keeps origin, membership and prev_state', () => {
    const out = redact('11', 'm.room.message', {});
    expect(out).not.toHaveProperty('origin');
    expect(out).not.toHaveProperty('membership');
    expect(out).not.toHaveProperty('prev_state');
  });

  it('keeps m.room.aliases content only before v6', () => {
    expect(redact('5', 'm.room.aliases', { aliases: ['#a:x'] }).content).toEqual({ aliases: ['#a:x'] });
    expect(redact('6', 'm.room.aliases', { aliases: ['#a:x'] }).content).toEqual({});
  });

  it('keeps join rule allow lists from v8', () => {
    const content = { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x' }] };
    expect(redact('7', 'm.room.join_rules', content).content).toEqual({ join_rule: 'restricted' });
    expect(redact('8', 'm.room.join_rules', content).content).toEqual(content);
  });

  it('keeps join_authorised_via_users_server from v9', () => {
    const content = { membership: 'join', join_authorised_via_users_server: '@a:x', displayname: 'A' };
    expect(redact('8', 'm.room.member', content).content).toEqual({ membership: 'join' });
    expect(redact('9', 'm.room.member', content).content).toEqual({
      membership: 'join',
      join_authorised_via_users_server: '@a:x',
    });
  });

  it('v11 keeps third_party_invite.signed, all create content, power level invite and redacts', () => {
    expect(
      redact('11', 'm.room.member', {
        membership: 'invite',
        third_party_invite: { display_name: 'd', signed: { token: 't' } },
      }).content,
    ).toEqual({
      membership: 'invite',
      third_party_invite: { signed: { token: 't' } },
    });
    expect(redact('11', 'm.room.create', { room_version: '11', 'm.federate': false }).content).toEqual({
      room_version: '11',
      'm.federate': false,
    });
    expect(redact('10', 'm.room.create', { creator: '@u:x', room_version: '10' }).content).toEqual({ creator: '@u:x' });
    expect(redact('11', 'm.room.power_levels', { invite: 50, ban: 50, notifications: { room: 50 } }).content).toEqual({
      invite: 50,
      ban: 50,
    });
    expect(redact('10', 'm.room.power_levels', { invite: 50, ban: 50 }).content).toEqual({ ban: 50 });
    expect(redact('11', 'm.room.redaction', { redacts: '$e', reason: 'r' }).content).toEqual({ redacts: '$e' });
  });

  it.each(['toString', 'constructor', '__proto__'])(
    'redacts all content of an event whose type names an Object.prototype property (%s)',
    (type) => {
      expect(redact('11', type, { body: 'x' }).content).toEqual({});
    },
  );

  it('does not modify its input', () => {
    const event = { ...base, type: 'm.room.message', content: { body: 'x' } };
    redactEvent(getRoomVersion('11'), event);
    expect(event.content).toEqual({ body: 'x' });
  });
});
