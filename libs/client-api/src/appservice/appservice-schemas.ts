import { z } from 'zod';

export const pingBody = z.object({ transaction_id: z.string().optional() });

export const appserviceDirectoryBody = z.object({ visibility: z.enum(['public', 'private']) });
