import { Controller, Get, Header } from '@nestjs/common';
import { AnyHost, Public } from '@lattice/http';
import { metricsRegistry } from '@lattice/telemetry';

/**
 * Prometheus scrape endpoint of every process, outside the tenant guard as
 * the probes are (a scraper addresses the pod's IP). Kept off the public
 * Ingress by the route table: only the cluster's Prometheus reaches it.
 */
@Controller('metrics')
@AnyHost()
export class MetricsController {
  @Get()
  @Public()
  @Header('content-type', metricsRegistry.contentType)
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
