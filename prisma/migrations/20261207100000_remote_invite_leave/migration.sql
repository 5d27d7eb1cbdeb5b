-- An invite from another server can end with a leave (declined or rescinded), shown once in rooms.leave.
ALTER TABLE "remote_invites" ADD COLUMN "membership" TEXT NOT NULL DEFAULT 'invite';
-- The room's version, to build the leave this server signs itself when the inviting server cannot be reached.
ALTER TABLE "remote_invites" ADD COLUMN "room_version" TEXT;
