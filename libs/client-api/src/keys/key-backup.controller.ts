import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { KeyBackupStore, parseBackupKey, parseBackupRooms, parseRoomSessions } from '@lattice/accounts';
import { Auth, Errors, Requester, requireJsonObject } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';

/**
 * Server-side key backups (client-server-api "Server-side key backups"):
 * backup versions, and the encrypted session keys in them by room and
 * session. Every change of keys answers the version's new etag and count.
 */
@Controller('_matrix/client/v3/room_keys')
export class KeyBackupController {
  constructor(private readonly backups: KeyBackupStore) {}

  @Post('version')
  @HttpCode(200)
  async create(@Auth() r: Requester, @Body() body: unknown) {
    const { algorithm, authData } = versionBody(body);
    return { version: await this.backups.createVersion(r.userId, algorithm, authData) };
  }

  @Get('version')
  latest(@Auth() r: Requester) {
    return this.backups.versionInfo(r.userId, undefined);
  }

  @Get('version/:version')
  get(@Auth() r: Requester, @Param('version') version: string) {
    return this.backups.versionInfo(r.userId, version);
  }

  @Put('version/:version')
  async update(@Auth() r: Requester, @Param('version') version: string, @Body() body: unknown) {
    const { algorithm, authData } = versionBody(body);
    const named = (body as { version?: unknown }).version;
    if (named !== undefined && named !== version)
      throw Errors.invalidParam('The version in the body must be the one in the path');
    await this.backups.updateVersion(r.userId, version, algorithm, authData);
    return {};
  }

  @Delete('version/:version')
  async delete(@Auth() r: Requester, @Param('version') version: string) {
    await this.backups.deleteVersion(r.userId, version);
    return {};
  }

  @Put('keys')
  putAll(@Auth() r: Requester, @Query('version') version: string | undefined, @Body() body: unknown) {
    return this.backups.putKeys(r.userId, required(version), parseBackupRooms(body));
  }

  @Put('keys/:roomId')
  putRoom(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Query('version') version: string | undefined,
    @Body() body: unknown,
  ) {
    return this.backups.putKeys(r.userId, required(version), { [roomId]: parseRoomSessions(body, 'body') });
  }

  @Put('keys/:roomId/:sessionId')
  putSession(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('sessionId') sessionId: string,
    @Query('version') version: string | undefined,
    @Body() body: unknown,
  ) {
    return this.backups.putKeys(r.userId, required(version), {
      [roomId]: { [sessionId]: parseBackupKey(body, 'body') },
    });
  }

  @Get('keys')
  async getAll(@Auth() r: Requester, @Query('version') version: string | undefined) {
    const keys = await this.backups.getKeys(r.userId, required(version), {});
    return { rooms: Object.fromEntries(Object.entries(keys).map(([roomId, sessions]) => [roomId, { sessions }])) };
  }

  @Get('keys/:roomId')
  async getRoom(@Auth() r: Requester, @Param('roomId') roomId: string, @Query('version') version: string | undefined) {
    const keys = await this.backups.getKeys(r.userId, required(version), { roomId });
    return { sessions: keys[roomId] ?? {} };
  }

  @Get('keys/:roomId/:sessionId')
  async getSession(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('sessionId') sessionId: string,
    @Query('version') version: string | undefined,
  ) {
    const key = (await this.backups.getKeys(r.userId, required(version), { roomId, sessionId }))[roomId]?.[sessionId];
    if (!key) throw Errors.notFound('No key for this session in the backup');
    return key;
  }

  @Delete('keys')
  deleteAll(@Auth() r: Requester, @Query('version') version: string | undefined) {
    return this.backups.deleteKeys(r.userId, required(version), {});
  }

  @Delete('keys/:roomId')
  deleteRoom(@Auth() r: Requester, @Param('roomId') roomId: string, @Query('version') version: string | undefined) {
    return this.backups.deleteKeys(r.userId, required(version), { roomId });
  }

  @Delete('keys/:roomId/:sessionId')
  deleteSession(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('sessionId') sessionId: string,
    @Query('version') version: string | undefined,
  ) {
    return this.backups.deleteKeys(r.userId, required(version), { roomId, sessionId });
  }
}

function versionBody(body: unknown): { algorithm: string; authData: JsonObject } {
  const { algorithm, auth_data: authData } = requireJsonObject(body);
  if (typeof algorithm !== 'string' || algorithm === '') throw Errors.badJson('algorithm must be a string');
  if (typeof authData !== 'object' || authData === null || Array.isArray(authData))
    throw Errors.badJson('auth_data must be an object');
  return { algorithm, authData: authData as JsonObject };
}

function required(version: string | undefined): string {
  if (version === undefined) throw Errors.missingParam('version is required');
  return version;
}
