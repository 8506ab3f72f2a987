// The configured source. Each is loaded only when chosen (dockerode is not needed for a replay).
import { join } from 'node:path';
import type { SourceConfig } from '../config.ts';
import type { LogSource } from './source.ts';

/** `dataDir`: where a source may keep what it needs to resume quickly (checkpoints). */
export async function createSource(config: SourceConfig, dataDir?: string): Promise<LogSource> {
  switch (config.kind) {
    case 'docker': {
      const { DockerSource } = await import('./docker/docker.ts');
      const { DockerCheckpointStore } = await import('./docker/checkpoint-store.ts');
      return new DockerSource({
        containerName: config.containerName,
        socketPath: config.socketPath,
        ...(dataDir !== undefined && {
          checkpoints: new DockerCheckpointStore(join(dataDir, 'checkpoints', 'docker')),
        }),
      });
    }
    case 'file': {
      const { FileSource } = await import('./file/file.ts');
      const { CheckpointStore } = await import('./file/checkpoint-store.ts');
      return new FileSource({
        dir: config.dir,
        ...(dataDir !== undefined && {
          checkpoints: new CheckpointStore(join(dataDir, 'checkpoints', 'file')),
        }),
      });
    }
    case 'replay': {
      const { ReplaySource } = await import('./replay.ts');
      return new ReplaySource({ speed: config.speed });
    }
  }
}
