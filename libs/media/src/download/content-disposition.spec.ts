import { contentDisposition } from './content-disposition';

describe('contentDisposition', () => {
  it('is inline for a type on the spec list, parameters ignored', () => {
    expect(contentDisposition('image/png', null)).toBe('inline');
    expect(contentDisposition('text/plain; charset=utf-8', null)).toBe('inline');
  });

  it('is an attachment for any other type', () => {
    expect(contentDisposition('text/html', null)).toBe('attachment');
    expect(contentDisposition('image/svg+xml', null)).toBe('attachment');
    expect(contentDisposition('application/octet-stream', null)).toBe('attachment');
  });

  it('quotes a plain ASCII file name', () => {
    expect(contentDisposition('image/png', 'cat.png')).toBe('inline; filename="cat.png"');
  });

  it('percent-encodes any other file name in filename*, so quotes and line breaks cannot break the header', () => {
    expect(contentDisposition('text/html', 'a"b.html')).toBe(`attachment; filename*=utf-8''a%22b.html`);
    expect(contentDisposition('text/html', 'a\r\nSet-Cookie: x')).toBe(
      `attachment; filename*=utf-8''a%0D%0ASet-Cookie%3A%20x`,
    );
    expect(contentDisposition('image/png', "l'été (1).png")).toBe(
      `inline; filename*=utf-8''l%27%C3%A9t%C3%A9%20%281%29.png`,
    );
  });
});
