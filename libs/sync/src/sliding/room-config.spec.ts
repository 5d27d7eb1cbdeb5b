import { RequiredState, stateSelector } from './room-config';

describe('RequiredState', () => {
  const me = '@me:example.org';

  it('matches wildcards in type and state key', () => {
    const state = new RequiredState([['*', '']], me);
    expect(state.matches('m.room.name', '')).toBe(true);
    expect(state.matches('m.room.member', me)).toBe(false);
    expect(state.types()).toBeUndefined();
  });

  it('reads $ME as the user asking', () => {
    const state = new RequiredState([['m.room.member', '$ME']], me);
    expect(state.matches('m.room.member', me)).toBe(true);
    expect(state.memberKeys()).toEqual([me]);
  });

  it('takes [m.room.member, $LAZY] as lazy members, not as a state key', () => {
    const state = new RequiredState([['m.room.member', '$LAZY']], me);
    expect(state.lazyMembers).toBe(true);
    expect(state.matches('m.room.member', '$LAZY')).toBe(false);
    expect(state.isEmpty).toBe(true);
  });

  it('reads every member for a * state key of m.room.member', () => {
    expect(new RequiredState([['m.room.member', '*']], me).memberKeys()).toBeUndefined();
  });

  it('tells configs that select the same apart from pair order', () => {
    const a = new RequiredState(
      [
        ['a', ''],
        ['b', ''],
      ],
      me,
    );
    expect(
      a.sameAs(
        new RequiredState(
          [
            ['b', ''],
            ['a', ''],
          ],
          me,
        ),
      ),
    ).toBe(true);
    expect(a.sameAs(new RequiredState([['a', '']], me))).toBe(false);
  });

  it('reads the object form: include with omitted fields as wildcards, exclude, lazy_members', () => {
    const state = new RequiredState(
      [stateSelector({ include: [{}], exclude: [{ type: 'm.room.create', state_key: '' }], lazy_members: true })],
      me,
    );
    expect(state.matches('m.room.name', '')).toBe(true);
    expect(state.matches('m.room.create', '')).toBe(false);
    expect(state.lazyMembers).toBe(true);
    expect(state.types()).toBeUndefined();
  });

  it('matches a state key of any type when the object form gives no type', () => {
    const state = new RequiredState([stateSelector({ include: [{ state_key: '' }] })], me);
    expect(state.matches('m.room.topic', '')).toBe(true);
    expect(state.matches('m.room.member', me)).toBe(false);
  });

  it("sends what any combined rule selects: one rule's exclude does not hide what another includes", () => {
    const state = new RequiredState(
      [stateSelector({ include: [{}], exclude: [{ type: 'm.room.create' }] }), stateSelector([['m.room.create', '']])],
      me,
    );
    expect(state.matches('m.room.create', '')).toBe(true);
  });
});
