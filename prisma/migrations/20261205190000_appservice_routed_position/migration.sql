-- CreateTable
CREATE TABLE "appservice_routed_position" (
    "stream" TEXT NOT NULL,
    "position" BIGINT NOT NULL,

    CONSTRAINT "appservice_routed_position_pkey" PRIMARY KEY ("stream")
);
