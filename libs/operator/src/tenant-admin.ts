import { Inject, Injectable } from '@nestjs/common';
import type { TenantBody, TenantView } from './lattice-tenant';
import { OPERATOR_SETTINGS, type OperatorSettings } from './operator-settings';

/** The admin API refused the tenant (a Matrix error): the resource is wrong, retrying will not help. */
export interface TenantRejection {
  errcode: string;
  error: string;
}

/**
 * The run-time tenants API (`/_lattice/admin/v1/tenants`, libs/admin) as the
 * operator uses it: every write goes through it, so the tenant is checked,
 * stored, given a signing key and announced to every process exactly as a
 * tenant created with the CLI is. Network failures and 5xx throw (retried).
 */
@Injectable()
export class TenantAdmin {
  constructor(@Inject(OPERATOR_SETTINGS) private readonly settings: OperatorSettings) {}

  async get(serverName: string): Promise<TenantView | undefined> {
    const answer = await this.call('GET', serverName);
    if (answer.status === 404) return undefined;
    return this.expectOk(answer) as TenantView;
  }

  /** Creates, changes or re-enables the tenant; answers the refusal if the API answered one (4xx). */
  async put(serverName: string, body: TenantBody): Promise<TenantRejection | undefined> {
    const answer = await this.call('PUT', serverName, body);
    if (answer.status >= 400 && answer.status < 500) return answer.body as TenantRejection;
    this.expectOk(answer);
    return undefined;
  }

  /** Disables the tenant; one that does not exist is already not served. */
  async disable(serverName: string): Promise<void> {
    const answer = await this.call('DELETE', serverName);
    if (answer.status !== 404) this.expectOk(answer);
  }

  /** Makes the tenant's operator-managed registration tokens exactly these (a rotated Secret's old token goes). */
  async putTokens(serverName: string, tokens: string[]): Promise<TenantRejection | undefined> {
    const answer = await this.call('PUT', serverName, { tokens }, '/registration_tokens');
    if (answer.status >= 400 && answer.status < 500) return answer.body as TenantRejection;
    this.expectOk(answer);
    return undefined;
  }

  private async call(
    method: string,
    serverName: string,
    body?: unknown,
    subPath = '',
  ): Promise<{ status: number; body: unknown }> {
    const response = await fetch(
      `${this.settings.adminUrl}/_lattice/admin/v1/tenants/${encodeURIComponent(serverName)}${subPath}`,
      {
        method,
        headers: { authorization: `Bearer ${this.settings.adminToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
    );
    return { status: response.status, body: await response.json().catch(() => undefined) };
  }

  private expectOk(answer: { status: number; body: unknown }): unknown {
    if (answer.status >= 300)
      throw new Error(`The tenants API answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
}
