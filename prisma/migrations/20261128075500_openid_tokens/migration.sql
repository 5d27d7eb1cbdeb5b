-- CreateTable
CREATE TABLE "openid_tokens" (
    "token_hash" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "openid_tokens_pkey" PRIMARY KEY ("token_hash")
);
