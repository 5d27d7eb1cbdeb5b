import { getRPCMetadata, RPCType, suppressTracing } from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { useSdkContext } from './sdk-context';

/** Paths of the process rather than of Matrix: probes every few seconds and scrapes would drown the traces. */
const UNTRACED_PATHS = /^\/(health\/|metrics(\?|$))/;

/** The OpenTelemetry SDK with its exporter and instrumentations, started: what startTelemetry loads only when tracing is on. */
export function startTracingSdk(options: {
  serviceName: string;
  otlpEndpoint: string;
  sampleRatio?: number;
}): () => Promise<void> {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    traceExporter: new OTLPTraceExporter({ url: options.otlpEndpoint }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? '') }),
      // Spans only inside a trace: a pg query with no request or message around it is housekeeping.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  useSdkContext({
    suppressTracing,
    setHttpRoute: (context, route) => {
      const rpc = getRPCMetadata(context);
      if (rpc?.type === RPCType.HTTP) rpc.route = route;
    },
  });
  return () => sdk.shutdown();
}
