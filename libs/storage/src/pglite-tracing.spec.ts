import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { openDatabase, type Database } from './database';

describe('database spans of the embedded database (PGlite)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  let db: Database;

  beforeAll(async () => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
    db = await openDatabase({ kind: 'embedded', dataDir: mkdtempSync(join(tmpdir(), 'lattice-pglite-spans-')) });
  }, 60_000);
  afterAll(async () => {
    await db.close();
    await provider.shutdown();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  const inRequest = <T>(fn: () => Promise<T>) =>
    trace.getTracer('test').startActiveSpan('request', async (span) => {
      try {
        return await fn();
      } finally {
        span.end();
      }
    });

  it('gives a Prisma query inside a trace a client span named as Postgres queries are, under the request', async () => {
    await inRequest(() => db.prisma.tenant.findMany());
    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'request')!;
    const query = spans.find((s) => s.name === 'pg.query:SELECT pglite')!;
    expect(query.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(query.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT' });
    expect(query.attributes['db.query.text']).toMatch(/FROM "public"."tenants"/);
  });

  it('traces the queries of a Prisma transaction', async () => {
    await inRequest(() => db.prisma.$transaction([db.prisma.tenant.count(), db.prisma.tenant.count()]));
    expect(exporter.getFinishedSpans().filter((s) => s.name === 'pg.query:SELECT pglite')).toHaveLength(2);
  });

  it('marks a failed query as an error', async () => {
    await inRequest(() => db.sql.query('SELECT * FROM no_such_table').catch(() => undefined));
    const [failed] = exporter.getFinishedSpans().filter((s) => s.name.startsWith('pg.query:'));
    expect(failed.status.code).toBe(2);
  });

  it('makes no span for a query outside any trace', async () => {
    await db.sql.query('SELECT 1');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
