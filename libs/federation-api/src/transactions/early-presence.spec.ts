import { EarlyPresence, type EarlyUpdate } from './early-presence';

const T0 = 1_700_000_000_000;

function update(userId: string, statusMsg: string, receivedAt = T0): EarlyUpdate {
  return {
    origin: 'remote.example',
    userId,
    record: { state: 'online', statusMsg, lastActiveTs: receivedAt, currentlyActive: true },
    receivedAt,
  };
}

describe('presence updates that came before the room making them relevant', () => {
  it('keeps the newest update of each user', () => {
    const early = new EarlyPresence();
    early.hold(update('@bob:remote.example', 'first', T0));
    early.hold(update('@bob:remote.example', 'second', T0 + 1));
    early.hold(update('@bob:remote.example', 'late copy of an older one', T0));
    expect(early.takeAll(T0 + 2).map((u) => u.record.statusMsg)).toEqual(['second']);
  });

  it('drops the oldest beyond its bound', () => {
    const early = new EarlyPresence(2);
    ['@a:remote.example', '@b:remote.example', '@c:remote.example'].forEach((u, i) =>
      early.hold(update(u, 'x', T0 + i)),
    );
    expect(early.takeAll(T0 + 3).map((u) => u.userId)).toEqual(['@b:remote.example', '@c:remote.example']);
  });

  it('forgets updates once their time is up, also when held again after a look', () => {
    const early = new EarlyPresence(10, 1_000);
    early.hold(update('@bob:remote.example', 'x', T0));
    const [taken] = early.takeAll(T0 + 600);
    early.hold(taken);
    expect(early.takeAll(T0 + 1_001)).toEqual([]);
    expect(early.size).toBe(0);
  });

  it('forgets a user whose newer update was taken up', () => {
    const early = new EarlyPresence();
    early.hold(update('@bob:remote.example', 'x'));
    early.forget('@bob:remote.example');
    expect(early.takeAll(T0)).toEqual([]);
  });
});
