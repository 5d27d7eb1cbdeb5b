import { Controller, Get, Inject } from '@nestjs/common';
import { AnyHost } from '@lattice/http';
import { DATABASE, type Database } from '@lattice/storage';

/** Kubernetes probes: live while the process serves; ready while the database answers. Any Host: the kubelet sends the pod's IP. */
@Controller('health')
@AnyHost()
export class HealthController {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready() {
    await this.db.sql.query('SELECT 1');
    return { status: 'ok' };
  }
}
