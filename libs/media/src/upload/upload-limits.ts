import type { LatticeConfig, TenantConfig } from '@lattice/config';

/** A tenant's media limits: its own settings, else the server-wide ones. */
export interface UploadLimits {
  maxUploadBytes: number;
  /** Undefined: no quota. */
  userQuotaBytes: number | undefined;
}

export function uploadLimitsOf(config: LatticeConfig, tenant: TenantConfig): UploadLimits {
  return {
    maxUploadBytes: tenant.media.maxUploadBytes ?? config.media.maxUploadBytes,
    userQuotaBytes: tenant.media.userQuotaBytes ?? config.media.userQuotaBytes,
  };
}
