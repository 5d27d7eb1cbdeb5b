-- Account locking and suspension by server admins (client-server-api v1.18 PUT /admin/lock, /admin/suspend).
ALTER TABLE "users" ADD COLUMN "locked" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "users" ADD COLUMN "suspended" BOOLEAN NOT NULL DEFAULT false;
