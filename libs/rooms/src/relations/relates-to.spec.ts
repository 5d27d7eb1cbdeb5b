import { mayBeThreadRoot, relationOf } from './relates-to';

describe('relationOf', () => {
  it('reads rel_type and the parent event ID', () => {
    expect(relationOf({ body: 'x', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } })).toEqual({
      relType: 'm.thread',
      parentEventId: '$root',
    });
  });

  it('reads the key of an annotation', () => {
    expect(relationOf({ 'm.relates_to': { rel_type: 'm.annotation', event_id: '$e', key: '👍' } })).toEqual({
      relType: 'm.annotation',
      parentEventId: '$e',
      key: '👍',
    });
  });

  it('ignores a rich reply, which has no rel_type', () => {
    expect(relationOf({ 'm.relates_to': { 'm.in_reply_to': { event_id: '$e' } } })).toBeUndefined();
  });

  it('ignores an event without m.relates_to', () => {
    expect(relationOf({ body: 'x' })).toBeUndefined();
  });

  it('ignores an m.relates_to that is not an object', () => {
    expect(relationOf({ 'm.relates_to': 'm.thread' })).toBeUndefined();
  });

  it('ignores a parent that is not an event ID', () => {
    expect(relationOf({ 'm.relates_to': { rel_type: 'm.thread', event_id: 7 } })).toBeUndefined();
  });
});

describe('mayBeThreadRoot', () => {
  it('accepts an event without a relationship', () => {
    expect(mayBeThreadRoot({ body: 'root' })).toBe(true);
  });

  it('accepts a rich reply, which has no rel_type', () => {
    expect(mayBeThreadRoot({ 'm.relates_to': { 'm.in_reply_to': { event_id: '$e' } } })).toBe(true);
  });

  it('refuses an event that is itself in a thread', () => {
    expect(mayBeThreadRoot({ 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } })).toBe(false);
  });
});
