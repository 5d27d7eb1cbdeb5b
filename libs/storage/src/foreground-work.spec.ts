import { ForegroundWork } from './foreground-work';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ForegroundWork', () => {
  it('gives background work its turn at once when nothing is in the foreground', async () => {
    await expect(new ForegroundWork().turn()).resolves.toBeUndefined();
  });

  it('holds background work until the foreground work under way is done', async () => {
    const work = new ForegroundWork();
    work.maxWaitMs = 60_000;
    const send = deferred();
    const sending = work.during(() => send.promise);
    let background = false;
    const turn = work.turn().then(() => (background = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(background).toBe(false);
    send.resolve();
    await sending;
    await turn;
    expect(background).toBe(true);
  });

  it('does not hold background work for foreground work that started after it asked', async () => {
    const work = new ForegroundWork();
    work.maxWaitMs = 60_000;
    const first = deferred();
    const later = deferred();
    void work.during(() => first.promise);
    const turn = work.turn();
    await new Promise((r) => setTimeout(r, 5));
    void work.during(() => later.promise);
    first.resolve();
    const waitedFor = await Promise.race([
      turn.then(() => 'the first only'),
      new Promise((r) => setTimeout(() => r('the later one too'), 50)),
    ]);
    expect(waitedFor).toBe('the first only');
    later.resolve();
  });

  it('holds background work for long foreground work once, not at every turn', async () => {
    const work = new ForegroundWork();
    work.maxWaitMs = 200;
    const join = deferred();
    void work.during(() => join.promise);
    await work.turn();
    const waitedFor = await Promise.race([
      work.turn().then(() => 'not again'),
      new Promise((r) => setTimeout(() => r('again'), 100)),
    ]);
    expect(waitedFor).toBe('not again');
    join.resolve();
  });

  it('lets background work that foreground work awaits go ahead of the work under way', async () => {
    const work = new ForegroundWork();
    work.maxWaitMs = 60_000;
    const send = deferred();
    void work.during(() => send.promise);
    const evaluated = deferred();
    const answer = work.awaiting(() => evaluated.promise);
    await work.awaitedTurn();
    evaluated.resolve();
    await answer;
    const waitedFor = await Promise.race([
      work.awaitedTurn().then(() => 'went'),
      new Promise((r) => setTimeout(() => r('waited for the send'), 50)),
    ]);
    expect(waitedFor).toBe('waited for the send');
    send.resolve();
  });

  it('passes foreground failures to their caller and still lets background work go', async () => {
    const work = new ForegroundWork();
    await expect(work.during(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await expect(work.turn()).resolves.toBeUndefined();
  });
});
