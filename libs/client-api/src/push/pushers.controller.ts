import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Auth, Errors, Requester, validateBody } from '@lattice/http';
import { z } from 'zod';
import { StorageAccess } from '../storage-access';

const PUSH_PATH = '/_matrix/push/v1/notify';

const pusherBody = z.object({
  kind: z.string().nullable(),
  app_id: z.string().min(1).max(64),
  pushkey: z
    .string()
    .min(1)
    .refine((key) => Buffer.byteLength(key) <= 512, 'pushkey is at most 512 bytes'),
  app_display_name: z.string().optional(),
  device_display_name: z.string().optional(),
  profile_tag: z.string().optional(),
  lang: z.string().optional(),
  data: z.looseObject({ url: z.string().optional(), format: z.string().optional() }).optional(),
  append: z.boolean().optional(),
});

/**
 * The http pusher's URL (client-server-api POST /pushers/set): a URL whose
 * path is the push gateway API's. Plain http is taken as well as https,
 * for gateways on the deployment's own network (outbound.allowRanges).
 */
function checkedUrl(url: string | undefined): string {
  if (url === undefined) throw Errors.missingParam('data.url is required for an http pusher');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw Errors.invalidParam('data.url is not a URL');
  }
  if (!['https:', 'http:'].includes(parsed.protocol) || parsed.pathname !== PUSH_PATH)
    throw Errors.invalidParam(`data.url must be an HTTPS URL with the path ${PUSH_PATH}`);
  return url;
}

/** client-server-api "Pushers": GET /pushers and POST /pushers/set. Only kind http is offered (no mail is configured for email pushers). */
@Controller('_matrix/client/v3')
export class PushersController {
  constructor(private readonly storage: StorageAccess) {}

  @Get('pushers')
  async pushers(@Auth() r: Requester) {
    const rows = await this.storage.db.pusher.findMany({ where: { userId: r.userId }, orderBy: { pusherId: 'asc' } });
    return {
      pushers: rows.map((p) => ({
        pushkey: p.pushkey,
        kind: p.kind,
        app_id: p.appId,
        app_display_name: p.appDisplayName,
        device_display_name: p.deviceDisplayName,
        ...(p.profileTag !== null ? { profile_tag: p.profileTag } : {}),
        lang: p.lang,
        data: JSON.parse(p.data) as object,
      })),
    };
  }

  @Post('pushers/set')
  @HttpCode(200)
  async set(@Auth() r: Requester, @Body() raw: unknown) {
    const body = validateBody(pusherBody, raw);
    const prisma = this.storage.db;
    const key = { userId: r.userId, appId: body.app_id, pushkey: body.pushkey };
    if (body.kind === null) {
      // Its queued pushes go with it.
      await prisma.$transaction(async (tx) => {
        const gone = await tx.pusher.findUnique({ where: { userId_appId_pushkey: key } });
        if (!gone) return;
        await tx.pushOutbox.deleteMany({ where: { pusherId: gone.pusherId } });
        await tx.pusher.delete({ where: { pusherId: gone.pusherId } });
      });
      return {};
    }
    if (body.kind !== 'http') throw Errors.invalidParam(`Pusher kind ${body.kind} is not supported`);
    for (const field of ['app_display_name', 'device_display_name', 'lang', 'data'] as const)
      if (body[field] === undefined) throw Errors.missingParam(`${field} is required`);
    const data = body.data!;
    checkedUrl(data.url);
    if (data.format !== undefined && data.format !== 'event_id_only')
      throw Errors.invalidParam('data.format must be event_id_only or absent');
    const fields = {
      kind: body.kind,
      appDisplayName: body.app_display_name!,
      deviceDisplayName: body.device_display_name!,
      profileTag: body.profile_tag ?? null,
      lang: body.lang!,
      data: JSON.stringify(data),
    };
    await prisma.$transaction(async (tx) => {
      if (!body.append) {
        const others = await tx.pusher.findMany({
          where: { appId: body.app_id, pushkey: body.pushkey, userId: { not: r.userId } },
          select: { pusherId: true },
        });
        const ids = others.map((o) => o.pusherId);
        await tx.pushOutbox.deleteMany({ where: { pusherId: { in: ids } } });
        await tx.pusher.deleteMany({ where: { pusherId: { in: ids } } });
      }
      await tx.pusher.upsert({
        where: { userId_appId_pushkey: key },
        create: { ...key, ...fields, deviceId: r.deviceId, pushkeyTs: BigInt(Date.now()) },
        update: { ...fields, deviceId: r.deviceId },
      });
    });
    return {};
  }
}
