import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { load as parseYaml } from 'js-yaml';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { PRISMA, type PrismaClient, type Prisma } from '@lattice/storage';
import {
  claimsAliasExclusively,
  claimsUserExclusively,
  coversAlias,
  parseRegistration,
  RegistrationError,
  type AppserviceRegistration,
} from './registration';

/** How often a process reads the registrations added at run time by another process. */
const RELOAD_MS = 30_000;

/**
 * Every tenant's application services: those of the registration files named
 * in the configuration (read at start; a bad file stops the start), and
 * those added at run time (`register`, for the admin API), stored in
 * `appservice_registrations` and read again every 30 s by every process.
 */
@Injectable()
export class AppserviceRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AppserviceRegistry.name);
  private fromFiles: AppserviceRegistration[] = [];
  private all: AppserviceRegistration[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    @Inject(PRISMA) private readonly db: PrismaClient,
  ) {}

  async onModuleInit(): Promise<void> {
    this.fromFiles = this.config.tenants.flatMap((tenant) =>
      tenant.appServiceConfigFiles.map((path) => parseRegistration(readYaml(path), tenant.serverName, path)),
    );
    await this.reload();
    this.timer = setInterval(
      () =>
        void this.reload().catch((e: Error) => this.logger.warn(`Reading stored registrations failed: ${e.message}`)),
      RELOAD_MS,
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Adds (or replaces, by id) a service of a tenant; checked like a file, stored for every process. */
  async register(serverName: string, raw: unknown): Promise<AppserviceRegistration> {
    const registration = parseRegistration(raw, serverName, 'registration');
    if (this.isFromFile(serverName, registration.id)) {
      throw new RegistrationError(`Application service ${registration.id} is registered by a configuration file`);
    }
    const others = this.all.filter((r) => !(r.serverName === serverName && r.id === registration.id));
    checkUnique([...others, registration]);
    await this.db.appserviceRegistrationRow.upsert({
      where: { serverName_id: { serverName, id: registration.id } },
      create: { serverName, id: registration.id, registration: raw as Prisma.InputJsonValue },
      update: { registration: raw as Prisma.InputJsonValue },
    });
    this.all = [...others, registration];
    return registration;
  }

  /** Removes a service added at run time; false when there is none by that id (a file's service cannot be removed here). */
  async unregister(serverName: string, id: string): Promise<boolean> {
    if (this.isFromFile(serverName, id))
      throw new RegistrationError(`Application service ${id} is registered by a configuration file`);
    const { count } = await this.db.appserviceRegistrationRow.deleteMany({ where: { serverName, id } });
    this.all = this.all.filter((r) => !(r.serverName === serverName && r.id === id));
    return count > 0;
  }

  /** Whether the service comes from a registration file (not removable at run time). */
  isFromFile(serverName: string, id: string): boolean {
    return this.fromFiles.some((r) => r.serverName === serverName && r.id === id);
  }

  servicesOf(serverName: string): readonly AppserviceRegistration[] {
    return this.all.filter((r) => r.serverName === serverName);
  }

  byId(serverName: string, id: string): AppserviceRegistration | undefined {
    return this.all.find((r) => r.serverName === serverName && r.id === id);
  }

  byAsToken(serverName: string, asToken: string): AppserviceRegistration | undefined {
    return this.all.find((r) => r.serverName === serverName && r.asToken === asToken);
  }

  /** The service whose exclusive user namespace holds this local user, if any (other than `except`). */
  exclusiveOwnerOfUser(userId: string, except?: AppserviceRegistration): AppserviceRegistration | undefined {
    return this.servicesOf(serverOf(userId)).find((r) => r !== except && claimsUserExclusively(r, userId));
  }

  exclusiveOwnerOfAlias(alias: string, except?: AppserviceRegistration): AppserviceRegistration | undefined {
    return this.servicesOf(serverOf(alias)).find((r) => r !== except && claimsAliasExclusively(r, alias));
  }

  /** The services (with a URL to ask) whose user namespaces hold this local user: who may create it on demand. */
  queryableForUser(userId: string): AppserviceRegistration[] {
    return this.servicesOf(serverOf(userId)).filter(
      (r) => r.url !== null && r.users.some((ns) => ns.regex.test(userId)),
    );
  }

  queryableForAlias(alias: string): AppserviceRegistration[] {
    return this.servicesOf(serverOf(alias)).filter((r) => r.url !== null && coversAlias(r, alias));
  }

  withProtocol(serverName: string, protocol: string): AppserviceRegistration[] {
    return this.servicesOf(serverName).filter((r) => r.url !== null && r.protocols.includes(protocol));
  }

  /** Every service of every tenant, for the sender. */
  everyService(): readonly AppserviceRegistration[] {
    return this.all;
  }

  private async reload(): Promise<void> {
    const rows = await this.db.appserviceRegistrationRow.findMany({
      orderBy: [{ serverName: 'asc' }, { createdAt: 'asc' }],
    });
    const stored = rows.flatMap((row) => {
      try {
        return [parseRegistration(row.registration, row.serverName, `stored registration ${row.id}`)];
      } catch (e) {
        this.logger.error(
          `Ignoring stored application service ${row.id} of ${row.serverName}: ${(e as Error).message}`,
        );
        return [];
      }
    });
    const next = [...this.fromFiles, ...stored];
    checkUnique(next);
    this.all = next;
  }
}

/** application-service-api "Registration": each `id` and `as_token` MUST be unique (per homeserver: per tenant here). */
function checkUnique(registrations: AppserviceRegistration[]): void {
  const seen = new Set<string>();
  for (const r of registrations) {
    for (const key of [`id\u0000${r.serverName}\u0000${r.id}`, `as_token\u0000${r.serverName}\u0000${r.asToken}`]) {
      if (seen.has(key))
        throw new RegistrationError(
          `Two application services of ${r.serverName} share the ${key.split('\u0000')[0]} of ${r.id}`,
        );
      seen.add(key);
    }
  }
}

function readYaml(path: string): unknown {
  try {
    return parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RegistrationError(`${path}: ${(e as Error).message}`);
  }
}

function serverOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}
