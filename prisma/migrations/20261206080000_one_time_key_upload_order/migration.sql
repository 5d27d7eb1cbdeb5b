-- One-time keys are claimed in the order they were uploaded (MSC4225).
ALTER TABLE "one_time_keys" ADD COLUMN "upload_seq" BIGSERIAL NOT NULL;

DROP INDEX "one_time_keys_user_id_device_id_algorithm_idx";

CREATE INDEX "one_time_keys_user_id_device_id_algorithm_upload_seq_idx" ON "one_time_keys"("user_id", "device_id", "algorithm", "upload_seq");
