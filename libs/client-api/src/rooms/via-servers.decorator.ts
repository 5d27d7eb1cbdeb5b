import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/**
 * The servers a client names to reach a room through, for POST /join and
 * /knock: each `via`, then each `server_name` (deprecated, but still sent
 * by clients and servers alike).
 */
export const ViaServers = createParamDecorator((_: unknown, ctx: ExecutionContext): string[] => {
  const query = (ctx.switchToHttp().getRequest<{ query?: Record<string, unknown> }>().query ?? {}) as Record<
    string,
    unknown
  >;
  const values = (value: unknown) =>
    (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
      (s): s is string => typeof s === 'string',
    );
  return [...values(query.via), ...values(query.server_name)];
});
