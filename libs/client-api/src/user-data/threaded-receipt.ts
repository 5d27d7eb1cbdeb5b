/**
 * Why a receipt's `thread_id` is refused (client-server-api POST /receipt,
 * 400 M_INVALID_PARAM), or undefined when it is fine: empty, given for
 * m.fully_read (a read marker, not a threaded receipt), or naming a thread
 * the event is not in. `main` is the room's main timeline: every event not in
 * a thread, thread roots included. `threadOfEvent` is the root of the thread
 * the event is in, if any.
 */
export function threadedReceiptError(
  receiptType: string,
  threadId: string | undefined,
  eventId: string,
  threadOfEvent: string | undefined,
): string | undefined {
  if (threadId === undefined) return undefined;
  if (threadId === '') return 'thread_id field must be a non-empty string';
  if (receiptType === 'm.fully_read') return 'thread_id is not allowed for m.fully_read';
  if (threadId === 'main')
    return threadOfEvent === undefined ? undefined : `${eventId} is in a thread, not the main timeline`;
  return threadOfEvent === threadId || eventId === threadId ? undefined : `${eventId} is not in thread ${threadId}`;
}
