/** The LatticeTenant operator (helm chart value operator.enabled): reconciles LatticeTenant resources into run-time tenants. */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OperatorModule, operatorSettingsFromEnv } from '@lattice/operator';

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(OperatorModule.forRoot(operatorSettingsFromEnv(process.env)));
  app.enableShutdownHooks();
}

main().catch((e: Error) => {
  new Logger('Operator').error(e.message);
  process.exit(1);
});
