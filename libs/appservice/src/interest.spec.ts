import { parseRegistration } from '@lattice/appservice-registry';
import { interestedInEvent, interestedInRoom } from './interest';

const service = parseRegistration(
  {
    id: 'irc',
    url: null,
    as_token: 'as',
    hs_token: 'hs',
    sender_localpart: '_irc_bot',
    namespaces: {
      users: [{ exclusive: true, regex: '@_irc_.*' }],
      aliases: [{ exclusive: true, regex: '#_irc_.*' }],
      rooms: [{ exclusive: false, regex: '!bridged.*' }],
    },
  },
  'example.org',
  'irc.yaml',
);

describe('which events interest an application service', () => {
  const room = (facts: Partial<{ roomId: string; aliases: string[]; joinedMembers: string[] }>) => ({
    roomId: '!other:example.org',
    aliases: [],
    joinedMembers: [],
    ...facts,
  });

  it('a room one of its users is joined to', () => {
    expect(interestedInRoom(service, room({ joinedMembers: ['@alice:example.org', '@_irc_bob:example.org'] }))).toBe(
      true,
    );
    expect(interestedInRoom(service, room({ joinedMembers: ['@alice:example.org'] }))).toBe(false);
  });

  it('not a room where only another server has a user matching the namespace', () => {
    expect(interestedInRoom(service, room({ joinedMembers: ['@_irc_bob:elsewhere.org'] }))).toBe(false);
  });

  it('a room with an alias or room ID of its namespaces', () => {
    expect(interestedInRoom(service, room({ aliases: ['#_irc_chan:example.org'] }))).toBe(true);
    expect(interestedInRoom(service, room({ roomId: '!bridged1:example.org' }))).toBe(true);
  });

  it('an invite of one of its users, before they joined', () => {
    expect(
      interestedInEvent(service, {
        sender: '@alice:example.org',
        type: 'm.room.member',
        state_key: '@_irc_bob:example.org',
      }),
    ).toBe(true);
    expect(interestedInEvent(service, { sender: '@alice:example.org', type: 'm.room.message' })).toBe(false);
  });
});
