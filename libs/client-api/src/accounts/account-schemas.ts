import { z } from 'zod';

const authDict = z.looseObject({ type: z.string().optional(), session: z.string().optional() });

export const registerBody = z.object({
  /** m.login.application_service: an application service registers a user of its namespace (with its as_token). */
  type: z.string().optional(),
  auth: authDict.optional(),
  username: z.string().optional(),
  password: z.string().max(512).optional(),
  device_id: z.string().min(1).max(255).optional(),
  initial_device_display_name: z.string().max(255).optional(),
  inhibit_login: z.boolean().optional(),
  refresh_token: z.boolean().optional(),
  /** A guest upgrading to a full account (client-server-api "Guest Access"). */
  guest_access_token: z.string().optional(),
});

/** m.id.user is the identifier this server accepts; `user` is the deprecated top-level form. */
export const loginBody = z.object({
  type: z.string(),
  identifier: z.looseObject({ type: z.string(), user: z.string().optional() }).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  /** m.login.token: a token from POST /login/get_token. */
  token: z.string().optional(),
  device_id: z.string().min(1).max(255).optional(),
  initial_device_display_name: z.string().max(255).optional(),
  refresh_token: z.boolean().optional(),
});

export const passwordBody = z.object({
  auth: authDict.optional(),
  new_password: z.string().min(1).max(512),
  logout_devices: z.boolean().default(true),
});

export const getLoginTokenBody = z.object({ auth: authDict.optional() });

export const deactivateBody = z.object({
  auth: authDict.optional(),
  erase: z.boolean().optional(),
  id_server: z.string().optional(),
});

export const refreshBody = z.object({ refresh_token: z.string().min(1) });
