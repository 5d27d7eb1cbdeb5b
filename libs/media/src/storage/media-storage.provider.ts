import { join } from 'node:path';
import type { Provider } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { LocalMediaStorage } from './local-media-storage';
import { MediaStorage } from './media-storage';
import { S3MediaStorage } from './s3-media-storage';

/** The configured storage backend, injected as MediaStorage. */
export const mediaStorageProvider: Provider = {
  provide: MediaStorage,
  inject: [LATTICE_CONFIG],
  useFactory: (config: LatticeConfig): MediaStorage => {
    const storage = config.media.storage;
    return storage.kind === 's3'
      ? new S3MediaStorage(storage)
      : new LocalMediaStorage(config.media.storePath ?? join(config.dataDir, 'media'));
  },
};
