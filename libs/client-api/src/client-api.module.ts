import { Module } from '@nestjs/common';
import { RemoteInvites, RemoteKnocks, RoomInputClient } from '@lattice/rooms';
import { AccountController } from './accounts/account.controller';
import { LoginController } from './accounts/login.controller';
import { OpenIdController } from './accounts/openid.controller';
import { LoginTokenController } from './accounts/login-token.controller';
import { RegisterController } from './accounts/register.controller';
import { DehydratedDeviceController } from './devices/dehydrated-device.controller';
import { DevicesController } from './devices/devices.controller';
import { AliasResolver } from './directory/alias-resolver';
import { DirectoryController } from './directory/directory.controller';
import { CanonicalAliasRemoval } from './directory/canonical-alias-removal';
import { CrossSigningController } from './keys/cross-signing.controller';
import { KeyBackupController } from './keys/key-backup.controller';
import { KeysController } from './keys/keys.controller';
import { PresenceController } from './presence/presence.controller';
import { ProfileController } from './profile/profile.controller';
import { NotificationsController } from './push/notifications.controller';
import { PushersController } from './push/pushers.controller';
import { PushRulesController } from './push/push-rules.controller';
import { PushRulesStore } from './push/push-rules-store';
import { RelationsController } from './relations/relations.controller';
import { CreateRoomController } from './rooms/create-room.controller';
import { HierarchyController } from './rooms/hierarchy.controller';
import { KnockController } from './rooms/knock.controller';
import { MembershipController } from './rooms/membership.controller';
import { RemoteInviter } from './rooms/remote-inviter';
import { RemoteHierarchyCache } from './rooms/remote-hierarchy-cache';
import { RoomReadController } from './rooms/room-read.controller';
import { SendController } from './rooms/send.controller';
import { StorageAccess } from './storage-access';
import { SendToDeviceController } from './to-device/send-to-device.controller';
import { UserDataController } from './user-data/user-data.controller';
import { CanonicalAliasCheck } from './rooms/canonical-alias-check';
import { VersionsController } from './versions/versions.controller';
import { RoomEventSearch } from './search/room-event-search';
import { SearchController } from './search/search.controller';
import { SearchIndex } from './search/search-index';
import { ReportsController } from './reports/reports.controller';
import { ReportStore } from '@lattice/reports';
import { ProfileFields } from './profile/profile-fields';
import { RoomSummaryController } from './room-info/room-summary.controller';
import { TimestampToEventController } from './room-info/timestamp-to-event.controller';
import { MutualRoomsController } from './room-info/mutual-rooms.controller';
import { RegistrationTokenController } from './accounts/registration-token.controller';
import { ThirdPartyIdsController } from './third-party-ids/third-party-ids.controller';
import { VoipController } from './voip/voip.controller';
import { WhoisController } from './admin/whois.controller';
import { AccountModerationController } from './admin/account-moderation.controller';
import { EventByIdController } from './rooms/event-by-id.controller';
import { RoomUpgrader } from './rooms/room-upgrader';
import { UpgradeController } from './rooms/upgrade.controller';
import { UpgradeCarryOver } from './rooms/upgrade-carry-over';
import { UserDirectory } from './user-directory/user-directory';
import { UserDirectoryController } from './user-directory/user-directory.controller';
import { AppserviceAccess } from './appservice/appservice-access';
import { AppserviceController } from './appservice/appservice.controller';
import { ThirdPartyController } from './appservice/thirdparty.controller';

/** The client-server API except the sync paths (see libs/routing). */
@Module({
  controllers: [
    VersionsController,
    RegisterController,
    LoginController,
    AccountController,
    CreateRoomController,
    MembershipController,
    KnockController,
    HierarchyController,
    SendController,
    RoomReadController,
    RelationsController,
    DirectoryController,
    ProfileController,
    PresenceController,
    UserDataController,
    PushRulesController,
    PushersController,
    NotificationsController,
    KeysController,
    CrossSigningController,
    KeyBackupController,
    DevicesController,
    DehydratedDeviceController,
    OpenIdController,
    LoginTokenController,
    SendToDeviceController,
    SearchController,
    UserDirectoryController,
    UpgradeController,
    ReportsController,
    RoomSummaryController,
    TimestampToEventController,
    MutualRoomsController,
    RegistrationTokenController,
    ThirdPartyIdsController,
    VoipController,
    WhoisController,
    AccountModerationController,
    EventByIdController,
    AppserviceController,
    ThirdPartyController,
  ],
  providers: [
    RoomInputClient,
    StorageAccess,
    UpgradeCarryOver,
    PushRulesStore,
    AliasResolver,
    CanonicalAliasRemoval,
    RemoteKnocks,
    RemoteInvites,
    RemoteHierarchyCache,
    RemoteInviter,
    CanonicalAliasCheck,
    SearchIndex,
    RoomEventSearch,
    UserDirectory,
    RoomUpgrader,
    ProfileFields,
    ReportStore,
    AppserviceAccess,
  ],
})
export class ClientApiModule {}
