-- The persist transaction now writes event_search rows itself, from the text it already has in hand, in the same
-- statement as the events' JSON. The row trigger re-read each event's row and parsed its whole JSON as jsonb inside
-- the send's transaction, a third of what the send path had grown by since search came. The redaction trigger
-- (event_search_forget) stays: redactions of stored events still drop their rows.
DROP TRIGGER event_search_on_insert ON "event_json";
DROP FUNCTION event_search_index();
