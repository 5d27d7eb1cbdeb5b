import { isInlineSafeContentType, isValidMediaId, mxcUri, parseMxcUri } from './mxc';

describe('media IDs and mxc:// URIs', () => {
  it('accepts only A-Z, a-z, 0-9, _ and - in a media ID', () => {
    expect(isValidMediaId('AQwafuaFswefuhsfAFAgsw_-9')).toBe(true);
    for (const id of ['', '..', 'a/b', 'a.b', '%2e%2e', 'ä']) expect(isValidMediaId(id)).toBe(false);
  });

  it('parses a well-formed mxc:// URI and refuses path tricks', () => {
    expect(parseMxcUri(mxcUri('example.org:8448', 'abc'))).toEqual({ serverName: 'example.org:8448', mediaId: 'abc' });
    expect(parseMxcUri('mxc://127.0.0.1/../../etc/passwd')).toBeUndefined();
    expect(parseMxcUri('mxc://exa mple.org/abc')).toBeUndefined();
    expect(parseMxcUri('https://example.org/abc')).toBeUndefined();
  });

  it('lists the types the spec deems safe inline, case and parameters aside', () => {
    expect(isInlineSafeContentType('IMAGE/PNG')).toBe(true);
    expect(isInlineSafeContentType('audio/x-flac')).toBe(true);
    expect(isInlineSafeContentType('text/html')).toBe(false);
    expect(isInlineSafeContentType('text/javascript')).toBe(false);
  });
});
