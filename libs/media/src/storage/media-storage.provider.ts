import { join } from 'node:path';
import type { Provider } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { LocalMediaStorage } from './local-media-storage';
import { MediaStorage } from './media-storage';

/** The configured storage backend, injected as MediaStorage. The AWS SDK is loaded only when S3 is configured: it holds ~10 MB of memory. */
export const mediaStorageProvider: Provider = {
  provide: MediaStorage,
  inject: [LATTICE_CONFIG],
  useFactory: async (config: LatticeConfig): Promise<MediaStorage> => {
    const storage = config.media.storage;
    return storage.kind === 's3'
      ? new (await import('./s3-media-storage')).S3MediaStorage(storage)
      : new LocalMediaStorage(config.media.storePath ?? join(config.dataDir, 'media'));
  },
};
