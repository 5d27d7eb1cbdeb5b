import { Module } from '@nestjs/common';
import { FederationAuthGuard } from './auth/federation-auth.guard';
import { KeyServerController } from './keys/key-server.controller';
import { QueryController } from './query/query.controller';

/** The server-server API: signing keys and the notary query, version, and queries about local users. */
@Module({ controllers: [KeyServerController, QueryController], providers: [FederationAuthGuard] })
export class FederationApiModule {}
