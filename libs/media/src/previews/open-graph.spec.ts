import { extractPagePreview, openGraphFromOEmbed } from './open-graph';

const page = new URL('https://example.org/blog/post');

describe('extractPagePreview', () => {
  it('reads og:* meta properties and makes og:image absolute', () => {
    const html = `<html><head>
      <meta property="og:title" content="Matrix &amp; friends">
      <meta property="og:description" content="A post">
      <meta property="og:image" content="/img/cover.png">
      <meta property="og:image:width" content="48">
    </head></html>`;
    expect(extractPagePreview(html, page).og).toEqual({
      'og:title': 'Matrix & friends',
      'og:description': 'A post',
      'og:image': 'https://example.org/img/cover.png',
      'og:image:width': '48',
      'og:url': 'https://example.org/blog/post',
    });
  });

  it('falls back to <title> and the meta description', () => {
    const html = '<title> Plain page </title><meta name="description" content="Nothing special">';
    expect(extractPagePreview(html, page).og).toMatchObject({
      'og:title': 'Plain page',
      'og:description': 'Nothing special',
    });
  });

  it('finds the advertised oEmbed endpoint', () => {
    const html = '<link rel="alternate" type="application/json+oembed" href="/oembed?url=x">';
    expect(extractPagePreview(html, page).oEmbedUrl).toBe('https://example.org/oembed?url=x');
  });

  it('drops an og:image that is not an http(s) URL', () => {
    expect(extractPagePreview('<meta property="og:image" content="javascript:alert(1)">', page).og).not.toHaveProperty(
      'og:image',
    );
  });
});

describe('openGraphFromOEmbed', () => {
  it('maps a photo answer to a title, site and image', () => {
    expect(
      openGraphFromOEmbed({ type: 'photo', title: 'Cat', provider_name: 'Pics', url: 'https://pics.example/cat.jpg' }),
    ).toEqual({
      'og:title': 'Cat',
      'og:site_name': 'Pics',
      'og:image': 'https://pics.example/cat.jpg',
    });
  });

  it('takes the thumbnail of a video answer', () => {
    expect(
      openGraphFromOEmbed({
        type: 'video',
        title: 'Clip',
        thumbnail_url: 'https://v.example/t.jpg',
        author_name: 'Ann',
      }),
    ).toMatchObject({
      'og:image': 'https://v.example/t.jpg',
      'og:description': 'By Ann',
    });
  });

  it('ignores what is not an object', () => {
    expect(openGraphFromOEmbed('nope')).toEqual({});
  });
});
