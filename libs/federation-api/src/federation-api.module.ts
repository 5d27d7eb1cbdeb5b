import { Module } from '@nestjs/common';
import { KeyServerController } from './key-server.controller';

/** The server-server API. For now: signing keys and version; the rest of federation builds on these. */
@Module({ controllers: [KeyServerController] })
export class FederationApiModule {}
