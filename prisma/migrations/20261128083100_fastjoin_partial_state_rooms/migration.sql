-- CreateTable
CREATE TABLE "partial_state_rooms" (
    "room_nid" INTEGER NOT NULL,
    "room_id" TEXT NOT NULL,
    "join_event_id" TEXT NOT NULL,
    "servers" TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "partial_state_rooms_pkey" PRIMARY KEY ("room_nid")
);

-- CreateIndex
CREATE UNIQUE INDEX "partial_state_rooms_room_id_key" ON "partial_state_rooms"("room_id");
