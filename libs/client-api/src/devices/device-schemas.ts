import { z } from 'zod';

const authDict = z.looseObject({ type: z.string().optional(), session: z.string().optional() });

export const renameDeviceBody = z.object({ display_name: z.string().max(255).optional() });

export const deleteDeviceBody = z.object({ auth: authDict.optional() });

export const deleteDevicesBody = z.object({ auth: authDict.optional(), devices: z.array(z.string()) });
