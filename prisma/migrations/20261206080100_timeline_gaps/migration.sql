-- Gaps in room timelines: events placed on state fetched for prev events this server never got.
CREATE TABLE "timeline_gaps" (
    "room_nid" INTEGER NOT NULL,
    "stream_pos" BIGINT NOT NULL,

    CONSTRAINT "timeline_gaps_pkey" PRIMARY KEY ("room_nid","stream_pos")
);

CREATE INDEX "timeline_gaps_stream_pos_idx" ON "timeline_gaps"("stream_pos");
