import { signJson, generateSigningKey } from '../signing';
import { ALICE, BOB, RoomFixture } from './spec/room-fixture';

describe('rule 5.4.1: third-party invites', () => {
  const key = generateSigningKey();
  const setup = () => {
    const room = new RoomFixture('11').withDefaults('invite');
    room.set(
      room.event(ALICE, 'm.room.third_party_invite', 'tok', {
        display_name: 'b',
        public_key: key.publicKeyBase64,
        key_validity_url: 'https://id',
      }),
    );
    return room;
  };
  const invite = (room: RoomFixture, signed: object, sender = ALICE) =>
    room.member(BOB, 'invite', sender, { third_party_invite: { display_name: 'b', signed } } as never);

  it('allows an invite whose signed block is signed by the invite key', () => {
    const room = setup();
    const signed = signJson({ mxid: BOB, token: 'tok', sender: ALICE }, 'id.example', key);
    expect(room.check(invite(room, signed))).toEqual({ allowed: true });
  });

  it('rejects a forged signed block, a wrong mxid, an unknown token and another sender', () => {
    const room = setup();
    const forged = signJson({ mxid: BOB, token: 'tok', sender: ALICE }, 'id.example', generateSigningKey());
    expect(room.check(invite(room, forged))).toMatchObject({ rule: '5.4.1.8 invite' });
    expect(room.check(invite(room, signJson({ mxid: ALICE, token: 'tok' }, 'id.example', key)))).toMatchObject({
      rule: '5.4.1.4 invite',
    });
    expect(room.check(invite(room, signJson({ mxid: BOB, token: 'nope' }, 'id.example', key)))).toMatchObject({
      rule: '5.4.1.5 invite',
    });
    room.joined(BOB.replace('bob', 'dave'));
    expect(
      room.check(invite(room, signJson({ mxid: BOB, token: 'tok' }, 'id.example', key), BOB.replace('bob', 'dave'))),
    ).toMatchObject({ rule: '5.4.1.6 invite' });
    expect(room.check(invite(room, { mxid: BOB }))).toMatchObject({ rule: '5.4.1.3 invite' });
  });
});
