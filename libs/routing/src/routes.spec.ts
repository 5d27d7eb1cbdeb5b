import { renderNginxConfig } from './nginx-config';
import { serviceForPath } from './routes';

describe('route table', () => {
  it.each([
    ['/_matrix/client/v3/sync', 'sync'],
    ['/_matrix/client/v3/rooms/!r:x/messages', 'sync'],
    ['/_matrix/client/v3/rooms/!r:x/context/$e', 'sync'],
    ['/_matrix/client/v3/rooms/!r:x/send/m.room.message/1', 'client-api'],
    ['/_matrix/client/v3/syncx', 'client-api'],
    ['/_matrix/client/v1/media/config', 'media'],
    ['/_matrix/key/v2/server', 'federation-api'],
    ['/_matrix/federation/v1/version', 'federation-api'],
    ['/_matrix/federation/v1/media/download/abc', 'media'],
    ['/_matrix/federation/v1/media/thumbnail/abc', 'media'],
    ['/.well-known/matrix/client', 'client-api'],
  ])('sends %s to %s', (path, service) => {
    expect(serviceForPath(path)).toBe(service);
  });

  it('serves nothing outside the Matrix paths', () => {
    expect(serviceForPath('/admin')).toBeUndefined();
  });

  it('renders one upstream per service with every worker address', () => {
    const conf = renderNginxConfig('127.0.0.1:8008', {
      'client-api': ['127.0.0.1:8101', '127.0.0.1:8102'],
      sync: ['127.0.0.1:8201'],
      'federation-api': ['127.0.0.1:8301'],
      media: ['127.0.0.1:8401'],
    });
    expect(conf).toContain(
      'upstream lattice_client_api {\n  server 127.0.0.1:8101;\n  server 127.0.0.1:8102;\n  keepalive 256;\n  keepalive_requests 1000000;\n}',
    );
    expect(conf.indexOf('/sync$')).toBeLessThan(conf.indexOf('location ~ ^/_matrix/client/ {'));
  });

  it("sends every request of one session to the same sync worker, and balances the other services' requests one by one", () => {
    const conf = renderNginxConfig('127.0.0.1:8008', {
      'client-api': ['127.0.0.1:8101', '127.0.0.1:8102'],
      sync: ['127.0.0.1:8201', '127.0.0.1:8202'],
      'federation-api': ['127.0.0.1:8301'],
      media: ['127.0.0.1:8401'],
    });
    expect(conf).toContain(
      'upstream lattice_sync {\n  hash $http_authorization$arg_access_token consistent;\n  server 127.0.0.1:8201;',
    );
    expect(conf.match(/hash /g)).toHaveLength(1);
  });

  it('reuses connections to the workers instead of opening one per request', () => {
    const conf = renderNginxConfig('127.0.0.1:8008', {
      'client-api': ['127.0.0.1:8101'],
      sync: ['127.0.0.1:8201'],
      'federation-api': ['127.0.0.1:8301'],
      media: ['127.0.0.1:8401'],
    });
    expect(conf).toContain('keepalive 256;');
    expect(conf).toContain('proxy_set_header Connection "";');
    expect(conf).not.toMatch(/keepalive_requests (?!1000000;)/);
  });

  it('streams media uploads to the media service unbuffered, leaving their size limit to it', () => {
    const conf = renderNginxConfig('127.0.0.1:8008', {
      'client-api': ['127.0.0.1:8101'],
      sync: ['127.0.0.1:8201'],
      'federation-api': ['127.0.0.1:8301'],
      media: ['127.0.0.1:8401'],
    });
    expect(conf).toContain(
      'location ~ ^/_matrix/media/ {\n    client_max_body_size 0;\n    proxy_request_buffering off;\n    proxy_pass http://lattice_media;',
    );
  });
});
