import { Controller, Get, Inject } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { AnyHost, MatrixError } from '@lattice/http';
import { DATABASE, type Database } from '@lattice/storage';

/**
 * Kubernetes probes: live while the process serves; ready while the
 * database and the bus both answer (a process that reaches only one of them
 * fails every write). Any Host: the kubelet sends the pod's IP.
 */
@Controller('health')
@AnyHost()
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready() {
    const checks = await Promise.allSettled([this.db.sql.query('SELECT 1'), this.bus.checkReady()]);
    const failed = checks.flatMap((c, i) =>
      c.status === 'rejected' ? [`${['database', 'bus'][i]}: ${(c.reason as Error).message}`] : [],
    );
    if (failed.length > 0) throw new MatrixError(503, 'M_UNKNOWN', `Not ready (${failed.join('; ')})`);
    return { status: 'ok' };
  }
}
