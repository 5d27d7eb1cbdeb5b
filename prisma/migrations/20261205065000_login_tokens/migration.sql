-- CreateTable
CREATE TABLE "login_tokens" (
    "token_hash" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "login_tokens_pkey" PRIMARY KEY ("token_hash")
);
