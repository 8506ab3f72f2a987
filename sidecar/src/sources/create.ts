// The configured source. Each is loaded only when chosen (dockerode is not needed for a replay).
import type { SourceConfig } from '../config.ts';
import type { LogSource } from './source.ts';

export async function createSource(config: SourceConfig): Promise<LogSource> {
  switch (config.kind) {
    case 'docker': {
      const { DockerSource } = await import('./docker/docker.ts');
      return new DockerSource({ containerName: config.containerName, socketPath: config.socketPath });
    }
    case 'file': {
      const { FileSource } = await import('./file/file.ts');
      return new FileSource({ dir: config.dir });
    }
    case 'replay': {
      const { ReplaySource } = await import('./replay.ts');
      return new ReplaySource({ speed: config.speed });
    }
  }
}
