import { rewriteLegacyR0 } from './legacy-r0';
import { serviceForPath } from './routes';

describe('legacy r0 paths', () => {
  it('serves an r0.6.1 client path as its v3 path', () => {
    expect(rewriteLegacyR0('/_matrix/client/r0/rooms/!r:x/send/m.room.message/1')).toBe(
      '/_matrix/client/v3/rooms/!r:x/send/m.room.message/1',
    );
  });

  it('keeps the query string', () => {
    expect(rewriteLegacyR0('/_matrix/client/r0/sync?since=s1&timeout=0')).toBe(
      '/_matrix/client/v3/sync?since=s1&timeout=0',
    );
  });

  it('accepts the trailing slash of an empty state key', () => {
    expect(rewriteLegacyR0('/_matrix/client/r0/rooms/!r:x/state/m.room.name/')).toBe(
      '/_matrix/client/v3/rooms/!r:x/state/m.room.name/',
    );
  });

  it('serves r0 media paths as v3 media paths', () => {
    expect(rewriteLegacyR0('/_matrix/media/r0/config')).toBe('/_matrix/media/v3/config');
  });

  it('leaves endpoints added after r0.6.1 alone', () => {
    expect(rewriteLegacyR0('/_matrix/client/r0/knock/!r:x')).toBe('/_matrix/client/r0/knock/!r:x');
  });

  it('does not serve a client path under media r0', () => {
    expect(rewriteLegacyR0('/_matrix/media/r0/sync')).toBe('/_matrix/media/r0/sync');
  });

  it('leaves v3 and other paths alone', () => {
    expect(rewriteLegacyR0('/_matrix/client/v3/sync')).toBe('/_matrix/client/v3/sync');
  });

  it.each([
    '/_matrix/client/r0/sync',
    '/_matrix/client/r0/rooms/!r:x/messages',
    '/_matrix/client/r0/rooms/!r:x/context/$e',
  ])('routes %s to the sync workers', (path) => {
    expect(serviceForPath(path)).toBe('sync');
  });
});
