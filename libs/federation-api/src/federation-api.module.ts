import { Module } from '@nestjs/common';
import { RemoteInvites, RemoteKnocks, RoomInputClient } from '@lattice/rooms';
import { FederationAuthGuard } from './auth/federation-auth.guard';
import { ServerAclGuard, ServerAcls } from './auth/server-acl.guard';
import { EventsController } from './events/events.controller';
import { KeyServerController } from './keys/key-server.controller';
import { UserKeysController } from './keys/user-keys.controller';
import { InvitesController } from './membership/invites.controller';
import { MembershipHandshakeController } from './membership/membership-handshake.controller';
import { OpenIdUserInfoController } from './query/openid.controller';
import { PartialStateResync } from './partial-state/partial-state-resync';
import { PublicRoomsController } from './query/public-rooms.controller';
import { QueryController } from './query/query.controller';
import { FederationSender } from './sender/federation-sender';
import { FederationHierarchyController } from './spaces/hierarchy.controller';
import { PresenceEduReceiver } from './transactions/presence-edu';
import { TransactionsController } from './transactions/transactions.controller';

/**
 * The server-server API: keys (ours, and as a notary), version, queries
 * about our users, joins of our rooms from other servers, inbound
 * transactions, reading events and state, space hierarchies; the sender of
 * our events to other servers; and the resync that completes rooms joined
 * with partial state.
 */
@Module({
  controllers: [
    KeyServerController,
    QueryController,
    MembershipHandshakeController,
    InvitesController,
    TransactionsController,
    EventsController,
    UserKeysController,
    PublicRoomsController,
    OpenIdUserInfoController,
    FederationHierarchyController,
  ],
  providers: [
    FederationAuthGuard,
    ServerAcls,
    ServerAclGuard,
    RoomInputClient,
    FederationSender,
    RemoteKnocks,
    RemoteInvites,
    PartialStateResync,
    PresenceEduReceiver,
  ],
})
export class FederationApiModule {}
