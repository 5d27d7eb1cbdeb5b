import { Controller, Get, Inject } from '@nestjs/common';
import { Public } from '@lattice/http';
import { DATABASE, type Database } from '@lattice/storage';

/** Kubernetes probes: live while the process serves; ready while the database answers. */
@Controller('health')
export class HealthController {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  @Get('live')
  @Public()
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  async ready() {
    await this.db.sql.query('SELECT 1');
    return { status: 'ok' };
  }
}
