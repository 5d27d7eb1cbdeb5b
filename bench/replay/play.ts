/**
 * A Romeo-and-Juliet-shaped play, generated deterministically: the cast of
 * Shakespeare's play (1597, public domain) and its walk-ons, 57 speakers in
 * all, who enter one after another through the play and then speak in
 * turns weighted like the original (the lovers and the Nurse most). The
 * words come from a small list of the play's own (public domain) phrases,
 * so every run replays the same ~3,300 lines of realistic length.
 */
const CAST = [
  'Chorus',
  'Sampson',
  'Gregory',
  'Abram',
  'Balthasar',
  'Benvolio',
  'Tybalt',
  'Capulet',
  'Lady Capulet',
  'Montague',
  'Lady Montague',
  'Prince Escalus',
  'Romeo',
  'Paris',
  'Peter',
  'Nurse',
  'Juliet',
  'Mercutio',
  'First Servingman',
  'Second Servingman',
  'Second Capulet',
  'Friar Laurence',
  'Friar John',
  'Apothecary',
  'First Musician',
  'Second Musician',
  'Third Musician',
  'Page',
  'First Watchman',
  'Second Watchman',
  'Third Watchman',
  'First Citizen',
  'Second Citizen',
  'Third Citizen',
  'Officer',
  'Potpan',
  'Anthony',
  'Susan Grindstone',
  'Nell',
  'Cousin Capulet',
  'Rosaline',
  'Valentine',
  'Petruchio',
  'Signior Martino',
  'Count Anselme',
  'Vitruvio',
  'Placentio',
  'Lucentio',
  'Livia',
  'Helena',
  'Lucio',
  'First Masker',
  'Second Masker',
  'Torchbearer',
  'Messenger',
  'Boy',
  'Watchman of the Tomb',
];

const PHRASES = [
  'two households, both alike in dignity',
  'in fair Verona, where we lay our scene',
  'from ancient grudge break to new mutiny',
  'a pair of star-crossed lovers take their life',
  'but soft, what light through yonder window breaks',
  'it is the east, and Juliet is the sun',
  'wherefore art thou Romeo',
  'that which we call a rose by any other word would smell as sweet',
  'good night, good night, parting is such sweet sorrow',
  'a plague on both your houses',
  'these violent delights have violent ends',
  'thus with a kiss I die',
  'O happy dagger',
  'do you bite your thumb at us, sir',
  'my only love sprung from my only hate',
  'what must be shall be',
  'wisely and slow, they stumble that run fast',
  'for never was a story of more woe',
  'than this of Juliet and her Romeo',
  'ask for me tomorrow and you shall find me a grave man',
  'I will bite my thumb at them',
  'the clock struck nine when I did send the nurse',
  'come, gentle night, come, loving black-browed night',
  'give me my Romeo',
  "I am fortune's fool",
  'a glooming peace this morning with it brings',
  'go hence, to have more talk of these sad things',
];

export interface PlayLine {
  speaker: number;
  text: string;
}

export function castName(index: number): string {
  return CAST[index];
}

/** A Matrix localpart for a speaker (unique per run, so a reused database does not collide). */
export function castLocalpart(index: number, run: string): string {
  return `${CAST[index].toLowerCase().replace(/[^a-z]+/g, '_')}_${run}`;
}

/** The first `count` lines of the play (3,300 in a full replay). */
export function playLines(count: number): PlayLine[] {
  const random = mulberry32(1597);
  const lines: PlayLine[] = [];
  const entered = new Set<number>();
  // Speaker k enters around line k * spacing, so registrations are spread through the play as in a real one.
  const spacing = Math.max(1, Math.floor(count / (CAST.length + 3)));
  for (let i = 0; i < count; i++) {
    const onStage = Math.min(CAST.length, 1 + Math.floor(i / spacing));
    const speaker = entered.has(onStage - 1) ? weightedSpeaker(random, onStage) : onStage - 1;
    entered.add(speaker);
    lines.push({ speaker, text: lineText(random) });
  }
  return lines;
}

/** Romeo, Juliet, the Nurse, Friar Laurence, Mercutio and Capulet speak most; the rest by how early they entered. */
function weightedSpeaker(random: () => number, onStage: number): number {
  const leads = [12, 16, 15, 21, 17, 7].filter((k) => k < onStage);
  if (leads.length && random() < 0.6) return leads[Math.floor(random() * leads.length)];
  return Math.floor(random() * onStage);
}

function lineText(random: () => number): string {
  const words = 1 + Math.floor(random() * 3);
  const parts = Array.from({ length: words }, () => PHRASES[Math.floor(random() * PHRASES.length)]);
  const text = parts.join('; ');
  return text[0].toUpperCase() + text.slice(1) + (random() < 0.3 ? '!' : '.');
}

/** A small seeded generator, so the play is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
