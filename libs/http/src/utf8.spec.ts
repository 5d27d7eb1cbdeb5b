import { decodeUtf8 } from './utf8';

describe('decodeUtf8', () => {
  it('decodes ASCII', () => {
    expect(decodeUtf8(Buffer.from('{"a":1}'))).toBe('{"a":1}');
  });

  it('decodes multi-byte characters', () => {
    expect(decodeUtf8(Buffer.from('{"a":"é☃😀"}'))).toBe('{"a":"é☃😀"}');
  });

  it('rejects a byte that can never appear in UTF-8', () => {
    expect(decodeUtf8(Buffer.from([0x7b, 0xff, 0x7d]))).toBeUndefined();
  });

  it('rejects a truncated multi-byte sequence', () => {
    expect(decodeUtf8(Buffer.from([0x22, 0xe2, 0x98, 0x22]))).toBeUndefined();
  });

  it('rejects an overlong encoding', () => {
    expect(decodeUtf8(Buffer.from([0xc0, 0xaf]))).toBeUndefined();
  });

  it('rejects an encoded UTF-16 surrogate', () => {
    expect(decodeUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBeUndefined();
  });

  it('keeps a byte order mark', () => {
    expect(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x31]))).toBe('\ufeff1');
  });
});
