import { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from './base64';

describe('unpadded base64', () => {
  it('encodes without padding, standard and URL-safe', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);
    expect(encodeBase64(bytes)).toBe('+//+AQ');
    expect(encodeBase64Url(bytes)).toBe('-__-AQ');
  });

  it('decodes padded and unpadded input', () => {
    expect(decodeBase64('AQ==')).toEqual(Buffer.from([1]));
    expect(decodeBase64('AQ')).toEqual(Buffer.from([1]));
    expect(decodeBase64Url('-__-AQ')).toEqual(Buffer.from([0xfb, 0xff, 0xfe, 0x01]));
  });

  it('rejects characters outside the alphabet and impossible lengths', () => {
    expect(() => decodeBase64('a$b')).toThrow();
    expect(() => decodeBase64('-_')).toThrow();
    expect(() => decodeBase64('AAAAA')).toThrow();
  });
});
