import type { Provider } from '@nestjs/common';
import { AccountDataStore } from './account-data-store';
import { DeviceListReader } from './device-lists/device-list-reader';
import { PresenceStore } from './presence/presence-store';
import { ReceiptStore } from './receipt-store';
import { ToDeviceInbox } from './to-device/to-device-inbox';

/** The per-user streams' stores, one instance each per process, shared by the services of a process. */
export const STREAM_PROVIDERS: Provider[] = [
  AccountDataStore,
  ReceiptStore,
  PresenceStore,
  DeviceListReader,
  ToDeviceInbox,
];
