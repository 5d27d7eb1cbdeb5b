import { context, trace, type Context } from '@opentelemetry/api';

/**
 * What the OpenTelemetry SDK reads from a context beyond the API: that tracing is suppressed, and the route the
 * HTTP instrumentation names a server span by. The helpers that mark these are @opentelemetry/core's, which
 * tracing-sdk.ts hands over when tracing starts: without tracing there is no span to suppress or name, and the
 * process does without that module (with the semantic conventions it loads, ~0.7 MB of heap, measured).
 */
export interface SdkContext {
  suppressTracing(context: Context): Context;
  /** Gives the HTTP instrumentation the route of the request the context belongs to. */
  setHttpRoute(context: Context, route: string): void;
}

let sdk: SdkContext | undefined;

/** Called by the tracing SDK's start (tracing-sdk.ts). */
export function useSdkContext(helpers: SdkContext): void {
  sdk = helpers;
}

/** Runs background housekeeping without spans: a timer's queries would each start a trace of their own. */
export function untraced<T>(work: () => Promise<T>): Promise<T> {
  return sdk ? context.with(sdk.suppressTracing(context.active()), work) : work();
}

/** Names the active HTTP server span after the route pattern the request matched (`PUT /rooms/:roomId/...`). */
export function nameServerSpan(method: string, route: string): void {
  sdk?.setHttpRoute(context.active(), route);
  const span = trace.getActiveSpan();
  span?.updateName(`${method} ${route}`);
  span?.setAttribute('http.route', route);
}
