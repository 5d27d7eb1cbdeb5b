import { deviceListCandidates, roomsViewerMoved, settleDeviceLists, type MembershipChange } from './device-list-delta';

const me = '@me:hs';
const change = (roomId: string, userId: string, membership: string): MembershipChange => ({
  roomId,
  userId,
  membership,
});

describe('device-list deltas', () => {
  it('counts users whose devices changed and users who joined a room of mine as changed', () => {
    const candidates = deviceListCandidates(me, ['@keys:hs'], [change('!a', '@joiner:hs', 'join')], new Map());
    expect([...candidates.changed].sort()).toEqual(['@joiner:hs', '@keys:hs']);
  });

  it('counts every member of a room I joined as changed, and of a room I left as left', () => {
    const memberships = [change('!joined', me, 'join'), change('!left', me, 'leave')];
    expect(roomsViewerMoved(me, memberships)).toEqual(['!joined', '!left']);
    const candidates = deviceListCandidates(
      me,
      [],
      memberships,
      new Map([
        ['!joined', ['@new:hs']],
        ['!left', ['@old:hs']],
      ]),
    );
    expect(candidates).toEqual({ changed: new Set(['@new:hs']), left: new Set(['@old:hs']) });
  });

  it('keeps only those sharing a room now as changed, and only those sharing none as left', () => {
    const candidates = {
      changed: new Set(['@shares:hs', '@stranger:hs']),
      left: new Set(['@gone:hs', '@still-shares:hs']),
    };
    expect(settleDeviceLists(me, candidates, new Set(['@shares:hs', '@still-shares:hs']))).toEqual({
      changed: ['@shares:hs'],
      left: ['@gone:hs'],
    });
  });

  it('always reports my own changes and never reports me as left', () => {
    expect(settleDeviceLists(me, { changed: new Set([me]), left: new Set([me]) }, new Set())).toEqual({
      changed: [me],
      left: [],
    });
  });

  it('reports someone who left and came back within the range as changed, not left', () => {
    const candidates = deviceListCandidates(
      me,
      [],
      [change('!a', '@flip:hs', 'leave'), change('!a', '@flip:hs', 'join')],
      new Map(),
    );
    expect(settleDeviceLists(me, candidates, new Set(['@flip:hs']))).toEqual({ changed: ['@flip:hs'], left: [] });
  });
});
