import { Injectable } from '@nestjs/common';
import { TenantDirectory } from '@lattice/config';
import { FederationClient, FederationError } from '@lattice/federation';
import { Errors, MatrixError } from '@lattice/http';
import { isRoomId, isValidRoomAlias, isValidServerName, serverNameOf } from '@lattice/protocol';
import { StorageAccess } from '../storage-access';
import { NamespaceQueries } from '@lattice/appservice-registry';

/**
 * Room aliases to room IDs: this deployment's from its table (an
 * application service may create one of its namespace on demand), other
 * servers' by asking them (server-server-api "Querying for information",
 * directory), with the servers to join through.
 */
@Injectable()
export class AliasResolver {
  constructor(
    private readonly storage: StorageAccess,
    private readonly federation: FederationClient,
    private readonly tenants: TenantDirectory,
    private readonly namespaces: NamespaceQueries,
  ) {}

  async resolve(origin: string, alias: string): Promise<{ roomId: string; servers: string[] }> {
    if (!isValidRoomAlias(alias)) throw Errors.invalidParam(`Invalid room alias ${alias}`);
    const server = serverNameOf(alias);
    if (!server || this.tenants.isLocal(server)) {
      // An application service whose namespace holds the alias may create its room now (application-service-api "Querying").
      const row = await this.namespaces.readAlias(alias, () =>
        this.storage.db.roomAlias.findUnique({ where: { alias } }),
      );
      if (!row) throw Errors.notFound(`Room alias ${alias} not found`);
      return { roomId: row.roomId, servers: [row.serverName] };
    }
    try {
      const answer = await this.federation.request<{ room_id?: unknown; servers?: unknown }>(
        origin,
        server,
        'GET',
        `/_matrix/federation/v1/query/directory?room_alias=${encodeURIComponent(alias)}`,
      );
      if (typeof answer.room_id !== 'string') throw Errors.notFound(`Room alias ${alias} not found`);
      const servers = Array.isArray(answer.servers)
        ? answer.servers.filter((s): s is string => typeof s === 'string')
        : [];
      return { roomId: answer.room_id, servers: servers.length ? servers : [server] };
    } catch (e) {
      if (e instanceof MatrixError) throw e;
      if (e instanceof FederationError && e.status === 404) throw Errors.notFound(`Room alias ${alias} not found`);
      throw new MatrixError(502, 'M_UNKNOWN', `Could not ask ${server} about ${alias}: ${(e as Error).message}`);
    }
  }

  /**
   * The `{roomIdOrAlias}` of POST /join and /knock: a room ID, or an alias
   * resolved, with the servers to reach the room through: those named by
   * `via` (or the deprecated `server_name`), then the alias's.
   */
  async resolveRoomIdOrAlias(
    origin: string,
    target: string,
    via: string[],
  ): Promise<{ roomId: string; servers: string[] }> {
    // A malformed via or room ID would otherwise fail later, as a federation request to a server that cannot exist.
    const invalidVia = via.find((server) => !isValidServerName(server));
    if (invalidVia !== undefined) throw Errors.invalidParam(`Invalid server name in via: ${invalidVia}`);
    const resolved = target.startsWith('#') ? await this.resolve(origin, target) : { roomId: target, servers: [] };
    if (!isRoomId(resolved.roomId)) throw Errors.invalidParam('Expected a room ID or alias');
    return { roomId: resolved.roomId, servers: [...via, ...resolved.servers] };
  }
}
