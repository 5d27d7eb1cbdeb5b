import { checkEventAuth, getRoomVersion, stateKey, type Pdu } from '@lattice/protocol';
import { opsPerSecond } from '../measure';
import { BenchRoom } from './room-generator';

/** Auth checks/s for a mix of a message, a join and a power levels change in a 500-member room. */
export async function run(): Promise<Record<string, number>> {
  const room = new BenchRoom(getRoomVersion('12'), 500);
  const lookup = (type: string, key: string) => {
    const id = room.state.get(stateKey(type, key));
    return id === undefined ? room.events.get(`$${room.roomId.slice(1)}`)!.pdu : room.events.get(id)!.pdu;
  };
  const state = (type: string, key: string) =>
    type === 'm.room.create' ? lookup(type, key) : room.state.has(stateKey(type, key)) ? lookup(type, key) : undefined;
  const base = {
    room_id: room.roomId,
    origin_server_ts: 1,
    depth: 1,
    prev_events: ['$p'],
    auth_events: [],
    hashes: { sha256: 'x' },
    signatures: {},
  };
  const events: Pdu[] = [
    { ...base, sender: '@user1:example.org', type: 'm.room.message', content: { body: 'hi' } },
    {
      ...base,
      sender: '@new:example.org',
      type: 'm.room.member',
      state_key: '@new:example.org',
      content: { membership: 'join' },
    },
    {
      ...base,
      sender: room.creator,
      type: 'm.room.power_levels',
      state_key: '',
      content: { users: { '@user1:example.org': 50 }, state_default: 50 },
    },
  ];
  let i = 0;
  return {
    'auth checks/s (message, join, power levels mix; 500 members)': opsPerSecond(() => {
      if (!checkEventAuth(room.version, events[i++ % 3], state).allowed) throw new Error('unexpected rejection');
    }),
  };
}
