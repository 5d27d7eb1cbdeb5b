import { WatchedRooms } from './watched-rooms';

describe('WatchedRooms', () => {
  it('answers the rooms for a token at or below the position they were read at', () => {
    const watched = new WatchedRooms();
    watched.set('@a:x', ['!r:x'], 10n);
    expect(watched.get('@a:x', 10n)).toEqual(['!r:x']);
    expect(watched.get('@a:x', 7n)).toEqual(['!r:x']);
  });

  it('answers nothing for a later token, an initial sync or an unknown user', () => {
    const watched = new WatchedRooms();
    watched.set('@a:x', ['!r:x'], 10n);
    expect(watched.get('@a:x', 11n)).toBeUndefined();
    expect(watched.get('@a:x', undefined)).toBeUndefined();
    expect(watched.get('@b:x', 1n)).toBeUndefined();
  });

  it('keeps the newer of two reads', () => {
    const watched = new WatchedRooms();
    watched.set('@a:x', ['!new:x'], 20n);
    watched.set('@a:x', ['!old:x'], 10n);
    expect(watched.get('@a:x', 15n)).toEqual(['!new:x']);
  });
});
