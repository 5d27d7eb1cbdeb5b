import type { Provider } from '@nestjs/common';
import { AccountStore } from './account-store';
import { CrossSigningStore } from './cross-signing-store';
import { DehydratedDeviceStore } from './dehydrated-device-store';
import { DeviceKeyStore } from './device-key-store';
import { DeviceListStore } from './device-list-store';
import { KeyBackupStore } from './key-backup-store';
import { LoginTokens } from './login-tokens';
import { OpenIdTokens } from './openid-tokens';
import { RegistrationTokens } from './registration-tokens';

/** The accounts library's stores, one instance each per process; AccountStore takes its options under ACCOUNT_STORE_OPTIONS. */
export const ACCOUNT_PROVIDERS: Provider[] = [
  AccountStore,
  DeviceListStore,
  DeviceKeyStore,
  CrossSigningStore,
  DehydratedDeviceStore,
  KeyBackupStore,
  OpenIdTokens,
  LoginTokens,
  RegistrationTokens,
];
