import { AnswerPacing } from './answer-pacing';

const T0 = 1_000_000;

describe("pacing a device's /sync answers", () => {
  it('lets a device that has had no answer be answered at once', () => {
    expect(new AnswerPacing(50).pauseFor('@a:hs DEV', T0)).toBe(0);
  });

  it('holds the next answer until the interval since the last one is over', () => {
    const pacing = new AnswerPacing(50);
    pacing.answered('@a:hs DEV', T0);
    expect(pacing.pauseFor('@a:hs DEV', T0 + 20)).toBe(30);
    expect(pacing.pauseFor('@a:hs DEV', T0 + 50)).toBe(0);
  });

  it('paces each device on its own', () => {
    const pacing = new AnswerPacing(50);
    pacing.answered('@a:hs ONE', T0);
    expect(pacing.pauseFor('@a:hs TWO', T0 + 10)).toBe(0);
  });

  it('holds nothing with an interval of 0', () => {
    const pacing = new AnswerPacing(0);
    pacing.answered('@a:hs DEV', T0);
    expect(pacing.pauseFor('@a:hs DEV', T0)).toBe(0);
  });
});
