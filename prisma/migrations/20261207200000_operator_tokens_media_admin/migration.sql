-- Registration tokens the deployment's operator keeps in step with a Kubernetes Secret.
ALTER TABLE "registration_tokens" ADD COLUMN "managed" BOOLEAN NOT NULL DEFAULT false;

-- Media admin: protection from quarantine and deletion by date, and the last download time.
ALTER TABLE "media" ADD COLUMN "safe_from_quarantine" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "media" ADD COLUMN "last_access_ts" BIGINT;
