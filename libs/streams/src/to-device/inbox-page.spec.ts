import { inboxPage } from './inbox-page';

const rows = (...positions: number[]) => positions.map((p) => ({ streamPos: BigInt(p) }));

describe('inboxPage', () => {
  it('hands out everything and moves to the current position when the inbox fits', () => {
    expect(inboxPage(rows(3, 5), 9n, 3)).toEqual({ messages: rows(3, 5), next: 9n });
  });

  it('stops at the last message of a full page, so the next sync starts right after it', () => {
    expect(inboxPage(rows(3, 5, 7), 9n, 3)).toEqual({ messages: rows(3, 5, 7), next: 7n });
  });

  it('moves to the current position with an empty inbox', () => {
    expect(inboxPage([], 4n, 3)).toEqual({ messages: [], next: 4n });
  });
});
