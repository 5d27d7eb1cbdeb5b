import { threadedReceiptError } from './threaded-receipt';

describe('threadedReceiptError', () => {
  it('accepts an unthreaded receipt', () => {
    expect(threadedReceiptError('m.read', undefined, '$e', '$root')).toBeUndefined();
  });

  it('refuses an empty thread_id', () => {
    expect(threadedReceiptError('m.read', '', '$e', undefined)).toMatch(/non-empty/);
  });

  it('refuses a thread_id on m.fully_read', () => {
    expect(threadedReceiptError('m.fully_read', 'main', '$e', undefined)).toBeDefined();
  });

  it('accepts main for an event outside any thread', () => {
    expect(threadedReceiptError('m.read', 'main', '$e', undefined)).toBeUndefined();
  });

  it('refuses main for an event in a thread', () => {
    expect(threadedReceiptError('m.read', 'main', '$e', '$root')).toBeDefined();
  });

  it('accepts a thread root ID for an event in that thread', () => {
    expect(threadedReceiptError('m.read.private', '$root', '$e', '$root')).toBeUndefined();
  });

  it('accepts a thread root ID for the root itself', () => {
    expect(threadedReceiptError('m.read', '$root', '$root', undefined)).toBeUndefined();
  });

  it('refuses a thread root ID for an event in another thread', () => {
    expect(threadedReceiptError('m.read', '$root', '$e', '$other')).toBeDefined();
  });

  it('refuses a thread root ID for an event outside any thread', () => {
    expect(threadedReceiptError('m.read', '$root', '$e', undefined)).toBeDefined();
  });
});
