-- Each process keeps the unread counts it read and then counts only the rows after the notifications position they
-- were read at (UnreadCounts in libs/storage): this index finds those rows per (user, room).
-- CreateIndex
CREATE INDEX "event_push_actions_user_id_room_id_notif_pos_idx" ON "event_push_actions"("user_id", "room_id", "notif_pos");
