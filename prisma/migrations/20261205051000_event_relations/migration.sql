-- CreateTable
CREATE TABLE "event_relations" (
    "event_nid" BIGINT NOT NULL,
    "room_nid" INTEGER NOT NULL,
    "parent_event_id" TEXT NOT NULL,
    "rel_type" TEXT NOT NULL,
    "aggregation_key" TEXT,
    "type_nid" INTEGER NOT NULL,
    "sender" TEXT NOT NULL,
    "stream_pos" BIGINT NOT NULL,

    CONSTRAINT "event_relations_pkey" PRIMARY KEY ("event_nid")
);

-- CreateIndex
CREATE INDEX "event_relations_parent_event_id_rel_type_stream_pos_idx" ON "event_relations"("parent_event_id", "rel_type", "stream_pos");

-- CreateIndex
CREATE INDEX "event_relations_parent_event_id_stream_pos_idx" ON "event_relations"("parent_event_id", "stream_pos");

-- CreateIndex
CREATE INDEX "event_relations_parent_event_id_rel_type_sender_idx" ON "event_relations"("parent_event_id", "rel_type", "sender");

-- CreateIndex
CREATE INDEX "event_relations_room_nid_rel_type_stream_pos_idx" ON "event_relations"("room_nid", "rel_type", "stream_pos");
