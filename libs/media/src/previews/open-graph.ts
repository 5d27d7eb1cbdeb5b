import { Parser } from 'htmlparser2';

/** OpenGraph properties of a page (https://ogp.me/), as the preview_url answer carries them. */
export type OpenGraph = Record<string, string | number>;

export interface PagePreview {
  og: OpenGraph;
  /** The page's own oEmbed endpoint, when it advertises one (oEmbed "Discovery"). */
  oEmbedUrl?: string;
}

/** Longest text kept of a title or description: previews are a line or two. */
const MAX_TEXT = 500;

/**
 * The OpenGraph `og:*` meta properties of an HTML page, with the page's
 * <title> and meta description standing in for a missing og:title and
 * og:description, and og:image made absolute against the page's URL.
 */
export function extractPagePreview(html: string, pageUrl: URL): PagePreview {
  const og: OpenGraph = {};
  const fallbacks: { title?: string; description?: string } = {};
  let oEmbedUrl: string | undefined;
  let inTitle = false;
  let title = '';
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'title') inTitle = true;
        if (name === 'meta') {
          const key = attributes.property ?? attributes.name;
          const content = attributes.content;
          if (key === undefined || content === undefined) return;
          if (key.startsWith('og:') && !(key in og)) og[key] = content.slice(0, MAX_TEXT);
          if (key === 'description') fallbacks.description ??= content;
        }
        if (
          name === 'link' &&
          attributes.rel?.toLowerCase().split(/\s+/).includes('alternate') &&
          attributes.type === 'application/json+oembed' &&
          attributes.href
        ) {
          oEmbedUrl ??= absolute(attributes.href, pageUrl);
        }
      },
      ontext(text) {
        if (inTitle) title += text;
      },
      onclosetag(name) {
        if (name === 'title' && inTitle) {
          inTitle = false;
          fallbacks.title ??= title.trim();
        }
      },
    },
    { decodeEntities: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  if (!og['og:title'] && fallbacks.title) og['og:title'] = fallbacks.title.slice(0, MAX_TEXT);
  if (!og['og:description'] && fallbacks.description) og['og:description'] = fallbacks.description.slice(0, MAX_TEXT);
  for (const key of ['og:image', 'og:image:url', 'og:image:secure_url']) {
    if (typeof og[key] !== 'string') continue;
    const url = absolute(og[key] as string, pageUrl);
    if (url) og[key] = url;
    else delete og[key];
  }
  if (!og['og:image'] && og['og:image:secure_url']) og['og:image'] = og['og:image:secure_url'];
  if (!og['og:url']) og['og:url'] = pageUrl.href;
  return { og, ...(oEmbedUrl ? { oEmbedUrl } : {}) };
}

/**
 * OpenGraph properties from an oEmbed answer (https://oembed.com/ "Response
 * parameters"): its title, provider and author, and its picture (the photo of
 * a `photo`, the thumbnail of anything else).
 */
export function openGraphFromOEmbed(answer: unknown): OpenGraph {
  if (typeof answer !== 'object' || answer === null) return {};
  const field = (name: string) => {
    const value = (answer as Record<string, unknown>)[name];
    return typeof value === 'string' && value !== '' ? value.slice(0, MAX_TEXT) : undefined;
  };
  const og: OpenGraph = {};
  const set = (key: string, value: string | undefined) => value !== undefined && (og[key] = value);
  set('og:title', field('title'));
  set('og:site_name', field('provider_name'));
  set('og:description', field('author_name') && `By ${field('author_name')}`);
  set('og:image', field('type') === 'photo' ? field('url') : field('thumbnail_url'));
  return og;
}

function absolute(href: string, base: URL): string | undefined {
  try {
    const url = new URL(href, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
