import type sharp from 'sharp';

/** sharp (libvips) is loaded at the first image, not at start: a server that has not seen one yet does without its memory. */
export async function loadSharp(): Promise<typeof sharp> {
  return (await import('sharp')).default;
}
