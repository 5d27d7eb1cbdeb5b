-- CreateIndex: incremental /sync reads the current state entries of a room changed after its token
-- (state resolution may bring back an older event, which no timeline event announces).
CREATE INDEX "current_state_room_nid_stream_pos_idx" ON "current_state"("room_nid", "stream_pos");
