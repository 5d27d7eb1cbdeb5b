import { Body, Controller, HttpCode, Param, Post, Put } from '@nestjs/common';
import { AppserviceClient, AppserviceTimeoutError, AppserviceUnreachableError } from '@lattice/appservice-registry';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, MatrixError, Requester, Tenant, validateBody } from '@lattice/http';
import { StorageAccess } from '../storage-access';
import { AppserviceAccess } from './appservice-access';
import { appserviceDirectoryBody, pingBody } from './appservice-schemas';

/** The client-server endpoints only application services call (application-service-api "Client-Server API Extensions"). */
@Controller('_matrix/client')
export class AppserviceController {
  constructor(
    private readonly appservices: AppserviceAccess,
    private readonly client: AppserviceClient,
    private readonly storage: StorageAccess,
  ) {}

  /**
   * POST /v1/appservice/{appserviceId}/ping: the homeserver pings the service
   * (POST /_matrix/app/v1/ping with its hs_token) and says how long it took:
   * 403 for another service's ID, 400 M_URL_NOT_SET, 502 M_BAD_STATUS (with
   * the service's status and body) or M_CONNECTION_FAILED, 504 M_CONNECTION_TIMEOUT.
   */
  @Post('v1/appservice/:appserviceId/ping')
  @HttpCode(200)
  async ping(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('appserviceId') appserviceId: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(pingBody, raw);
    const service = this.appservices.serviceOfRequester(t, r);
    if (!service || service.id !== appserviceId)
      throw Errors.forbidden('Only the application service itself may ping it');
    if (service.url === null) throw new MatrixError(400, 'M_URL_NOT_SET', 'The application service has no URL');
    const started = Date.now();
    try {
      const answer = await this.client.ping(service, body.transaction_id);
      if (answer.status < 200 || answer.status >= 300) {
        throw new MatrixError(502, 'M_BAD_STATUS', `Ping returned status ${answer.status}`, {
          status: answer.status,
          body: typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body),
        });
      }
    } catch (e) {
      if (e instanceof AppserviceTimeoutError) throw new MatrixError(504, 'M_CONNECTION_TIMEOUT', e.message);
      if (e instanceof AppserviceUnreachableError) throw new MatrixError(502, 'M_CONNECTION_FAILED', e.message);
      throw e;
    }
    return { duration_ms: Date.now() - started };
  }

  /**
   * PUT /v3/directory/list/appservice/{networkId}/{roomId}: the service
   * publishes a room in (or removes it from) its own directory of one of its
   * networks, listed by /publicRooms with third_party_instance_id.
   */
  @Put('v3/directory/list/appservice/:networkId/:roomId')
  async publishInNetwork(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('networkId') networkId: string,
    @Param('roomId') roomId: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(appserviceDirectoryBody, raw);
    const service = this.appservices.serviceOfRequester(t, r);
    if (!service) throw Errors.forbidden('Only application services may publish rooms in a network directory');
    if (!(await this.storage.reader.roomVersion(roomId))) throw Errors.notFound('Room not found');
    const key = { serverName: t.serverName, serviceId: service.id, networkId, roomId };
    if (body.visibility === 'public') {
      await this.storage.db.appserviceDirectoryRoom.upsert({
        where: { serverName_serviceId_networkId_roomId: key },
        create: key,
        update: {},
      });
    } else {
      await this.storage.db.appserviceDirectoryRoom.deleteMany({ where: key });
    }
    return {};
  }
}
