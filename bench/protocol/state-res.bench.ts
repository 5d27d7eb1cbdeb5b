import { eventSourceOf, getRoomVersion, resolveState, type StateMap } from '@lattice/protocol';
import { medianMs } from '../measure';
import { BenchRoom } from './room-generator';

/**
 * A 10,000-entry state (mostly members) forked three ways, with 200
 * conflicted events across the forks: topic and custom state changes, a
 * power levels change and member departures.
 */
function forkedRoom(versionId: string): { room: BenchRoom; forks: StateMap[] } {
  const room = new BenchRoom(getRoomVersion(versionId), 9_996);
  const forks: StateMap[] = [];
  for (let f = 0; f < 3; f++) {
    const fork = new Map(room.state);
    const levels = {
      users: room.version.privilegedCreators ? {} : { [room.creator]: 100 },
      state_default: 50,
      events_default: f,
    };
    fork.set('m.room.power_levels\u0000', room.add(room.creator, 'm.room.power_levels', '', levels, fork));
    for (let i = 0; i < 56; i++) {
      fork.set(
        `com.example.setting\u0000k${i}`,
        room.add(room.creator, 'com.example.setting', `k${i}`, { value: `${f}-${i}` }, fork),
      );
    }
    for (let i = 0; i < 10; i++) {
      const user = `@user${f * 10 + i}:example.org`;
      fork.set(`m.room.member\u0000${user}`, room.add(user, 'm.room.member', user, { membership: 'leave' }, fork));
    }
    forks.push(fork);
  }
  return { room, forks };
}

export async function run(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [label, versionId] of [
    ['v2 (room 11)', '11'],
    ['v2.1 (room 12)', '12'],
  ]) {
    const { room, forks } = forkedRoom(versionId);
    const source = eventSourceOf(room.events.values());
    out[`state resolution ${label}: 10,000 state, 200 conflicted over 3 forks, ms`] = medianMs(() =>
      resolveState(room.version, forks, source),
    );
  }
  return out;
}
