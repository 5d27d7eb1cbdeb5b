import { createHmac } from 'node:crypto';
import { turnCredentials } from './turn-credentials';

const base = { turnUris: ['turn:turn.example.org:3478?transport=udp'], turnTtlSeconds: 600 };

describe('TURN credentials', () => {
  it('are time-limited TURN REST API credentials under a shared secret', () => {
    const credentials = turnCredentials({ ...base, turnSharedSecret: 's3cret' }, '@alice:example.org', 1_000_000)!;
    expect(credentials.username).toBe('1600:@alice:example.org');
    expect(credentials.password).toBe(createHmac('sha1', 's3cret').update('1600:@alice:example.org').digest('base64'));
    expect(credentials).toMatchObject({ uris: base.turnUris, ttl: 600 });
  });

  it('are the fixed pair without a secret', () => {
    expect(turnCredentials({ ...base, turnUsername: 'u', turnPassword: 'p' }, '@alice:example.org', 0)).toEqual({
      username: 'u',
      password: 'p',
      uris: base.turnUris,
      ttl: 600,
    });
  });

  it('are none without a TURN server', () => {
    expect(
      turnCredentials({ turnUris: [], turnTtlSeconds: 600, turnSharedSecret: 's' }, '@alice:example.org', 0),
    ).toBeUndefined();
  });
});
