import type { Pdu } from '@lattice/protocol';
import { searchableText } from './searchable-text';

function event(type: string, content: Record<string, unknown>): Pdu {
  return { type, content, sender: '@a:x', room_id: '!r:x' } as unknown as Pdu;
}

describe('searchableText', () => {
  it("indexes a message's body", () => {
    expect(searchableText(event('m.room.message', { msgtype: 'm.text', body: 'hello' }))).toEqual({
      key: 'content.body',
      text: 'hello',
    });
  });

  it("indexes a room's name and topic under their own keys", () => {
    expect(searchableText(event('m.room.name', { name: 'Garden' }))?.key).toBe('content.name');
    expect(searchableText(event('m.room.topic', { topic: 'Roses' }))?.key).toBe('content.topic');
  });

  it('skips other event types, even with a body', () => {
    expect(searchableText(event('m.reaction', { body: 'hello' }))).toBeUndefined();
  });

  it('skips a missing, empty or non-string text', () => {
    expect(searchableText(event('m.room.message', {}))).toBeUndefined();
    expect(searchableText(event('m.room.message', { body: '' }))).toBeUndefined();
    expect(searchableText(event('m.room.topic', { topic: 42 }))).toBeUndefined();
  });

  it('drops NUL characters, which Postgres text cannot hold', () => {
    expect(searchableText(event('m.room.message', { body: 'a\u0000b' }))?.text).toBe('ab');
    expect(searchableText(event('m.room.message', { body: '\u0000' }))).toBeUndefined();
  });
});
