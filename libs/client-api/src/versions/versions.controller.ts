import { Controller, Get } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { Auth, Errors, Public, Requester, Tenant } from '@lattice/http';
import type { TenantConfig } from '@lattice/config';
import { DEFAULT_ROOM_VERSION, knownRoomVersions } from '@lattice/protocol';

/** The spec versions whose client-server API this server implements. */
const SUPPORTED_SPEC_VERSIONS = [
  'r0.6.1',
  'v1.1',
  'v1.2',
  'v1.3',
  'v1.4',
  'v1.5',
  'v1.6',
  'v1.7',
  'v1.8',
  'v1.9',
  'v1.10',
  'v1.11',
  'v1.12',
];

/**
 * Unstable features implemented: MSC3814 dehydrated devices (devices/dehydrated-device.controller.ts),
 * MSC2666 mutual rooms at its unstable path (room-info/mutual-rooms.controller.ts); MSC4186 simplified sliding
 * sync (libs/sync/src/sliding), with
 * MSC4360's threads extension and its /thread_updates (sliding/thread-updates.ts).
 */
const UNSTABLE_FEATURES = {
  'org.matrix.msc3814': true,
  'uk.half-shot.msc2666.query_mutual_rooms': true,
  'org.matrix.simplified_msc3575': true,
  'io.element.msc4360': true,
};

/** Discovery: what the server speaks and where clients find it. */
@Controller()
export class VersionsController {
  constructor(private readonly accounts: AccountStore) {}

  @Get('_matrix/client/versions')
  @Public()
  versions() {
    return { versions: SUPPORTED_SPEC_VERSIONS, unstable_features: UNSTABLE_FEATURES };
  }

  @Get('.well-known/matrix/client')
  @Public()
  wellKnown(@Tenant() tenant: TenantConfig) {
    return { 'm.homeserver': { base_url: tenant.publicBaseUrl ?? `https://${tenant.serverName}` } };
  }

  /** Who runs the tenant (support.yaml); 404 when its configuration names no one, as the spec's discovery endpoints do. */
  @Get('.well-known/matrix/support')
  @Public()
  support(@Tenant() tenant: TenantConfig) {
    if (!tenant.support) throw Errors.notFound('No support information is configured');
    return tenant.support;
  }

  /** policy_server.yaml: a homeserver that is no policy server has "no policy server information available". */
  @Get('.well-known/matrix/policy_server')
  @Public()
  policyServer() {
    throw Errors.notFound('This server is not a policy server');
  }

  @Get('_matrix/client/v3/capabilities')
  async capabilities(@Auth() r: Requester) {
    const isAdmin = (await this.accounts.moderationOf(r.userId))?.isAdmin === true;
    return {
      capabilities: {
        'm.change_password': { enabled: true },
        'm.room_versions': {
          default: DEFAULT_ROOM_VERSION,
          available: Object.fromEntries(knownRoomVersions().map((v) => [v.id, v.stable ? 'stable' : 'unstable'])),
        },
        'm.set_displayname': { enabled: true },
        'm.set_avatar_url': { enabled: true },
        'm.3pid_changes': { enabled: false },
        'm.get_login_token': { enabled: true },
        // Every profile field may be set: displayname, avatar_url, m.tz and custom keys (v1.16).
        'm.profile_fields': { enabled: true },
        // Omitted for everyone else, as the spec asks when both would be false.
        ...(isAdmin ? { 'm.account_moderation': { suspend: true, lock: true } } : {}),
      },
    };
  }
}
