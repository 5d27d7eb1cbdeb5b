import { AsyncLocalStorage } from 'node:async_hooks';

/** What log lines written while handling a request say about it. */
export interface LogContext {
  /** The tenant (server name) the request is for, once the request guard knows it. */
  tenant?: string;
}

/** Filled by libs/http for each request; read by the JSON logger. */
export const logContext = new AsyncLocalStorage<LogContext>();
