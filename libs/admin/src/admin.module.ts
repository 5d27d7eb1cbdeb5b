import { Module } from '@nestjs/common';
import { AdminGuard } from '@lattice/accounts';
import { ReportStore } from '@lattice/reports';
import { RoomInputClient } from '@lattice/rooms';
import { AppservicesController } from './appservices/appservices.controller';
import { ServerNotices } from './notices/server-notices';
import { ServerNoticesController } from './notices/server-notices.controller';
import { OperatorGuard } from './operator.guard';
import { EventReportsController } from './reports/event-reports.controller';
import { UserReportsController } from './reports/user-reports.controller';
import { RegistrationTokensController } from './registration/registration-tokens.controller';
import { AdminRooms } from './rooms/admin-rooms';
import { RoomDeletions } from './rooms/room-deletions';
import { RoomExits } from './rooms/room-exits';
import { AdminRoomsController } from './rooms/rooms.controller';
import { SharedSecretRegistrationController } from './shared-secret-registration.controller';
import { TenantsController } from './tenants/tenants.controller';
import { AdminUsers } from './users/admin-users';
import { AdminUsersController } from './users/users.controller';

/**
 * The admin API: Synapse's /_synapse/admin (users, rooms, registration
 * tokens, server notices, shared-secret registration) for tenant admins,
 * and /_lattice/admin/v1/tenants (with each tenant's application services)
 * for the operator. Served by the client-api
 * processes (libs/routing sends /_synapse/admin and /_lattice/admin there).
 * Event reports are read here from the shared reports table (libs/reports).
 * Media admin is served by the media service itself (libs/media), which
 * holds the media store.
 */
@Module({
  controllers: [
    SharedSecretRegistrationController,
    AdminUsersController,
    AdminRoomsController,
    RegistrationTokensController,
    ServerNoticesController,
    TenantsController,
    AppservicesController,
    EventReportsController,
    UserReportsController,
  ],
  providers: [
    AdminGuard,
    OperatorGuard,
    AdminUsers,
    AdminRooms,
    RoomExits,
    RoomDeletions,
    ServerNotices,
    RoomInputClient,
    ReportStore,
  ],
})
export class AdminModule {}
