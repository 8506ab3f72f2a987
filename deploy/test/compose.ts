// A compose project brought up the way CI can: Debian's docker-compose against podman's API socket, with the
// CI override (deploy/ci/*.ci.yml: host networking, loopback addresses, free ports) merged in. docker-compose
// 1.29 refuses published ports beside `network_mode: host` and an override cannot remove them, so the merged
// configuration (`docker-compose config`) is written out without them: that is the only change.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ciImage, IMAGES_DIR, ROOT } from './images.ts';

export interface ComposeProject {
  /** `docker-compose <args>` on the merged file; resolves with stdout. */
  run(args: string[]): Promise<string>;
  /** The merged configuration, as docker-compose resolved it. */
  config: { services: Record<string, Record<string, unknown>>; volumes?: Record<string, unknown> };
  /** `down -v`, then removes what is left of the project (a container in a restart loop survives `down`). */
  down(): Promise<void>;
}

function dockerCompose(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'docker-compose',
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`docker-compose ${args.join(' ')}: ${stderr || error.message}`))
          : resolve(stdout),
    ),
  );
}

/** YAML to JSON with the YAML library docker-compose itself uses (python3-yaml, one of its dependencies). */
function yamlToJson(yaml: string): Promise<ComposeProject['config']> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      '/usr/bin/python3',
      ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as ComposeProject['config'])),
    );
    child.stdin!.end(yaml);
  });
}

export async function composeProject(
  name: string,
  files: string[],
  env: Record<string, string>,
): Promise<ComposeProject> {
  const fileArgs = files.flatMap((f) => ['-f', f]);
  const merged = await yamlToJson(await dockerCompose([...fileArgs, 'config'], env));
  for (const service of Object.values(merged.services)) delete service.ports;
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-compose-'));
  const file = join(dir, 'docker-compose.json');
  writeFileSync(file, JSON.stringify(merged, null, 1));
  const composeEnv = { ...env, COMPOSE_FILE: file, COMPOSE_PROJECT_NAME: name };
  const project: ComposeProject = {
    config: merged,
    run: (args) => ciImage(['compose', ...args], composeEnv),
    async down() {
      await project.run(['down', '-v', '-t', '2']).catch(() => undefined);
      const left = await ciImage(['compose', 'ps', '-q'], composeEnv).catch(() => '');
      for (const id of left.split('\n').filter(Boolean)) {
        await new Promise((r) =>
          execFile('podman', ['rm', '-f', '-t', '0', id], { env: podmanEnv() }, () => r(undefined)),
        );
      }
      await project.run(['down', '-v']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return project;
}

function podmanEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CONTAINERS_CONF: `${IMAGES_DIR}/conf/containers.conf`,
    CONTAINERS_STORAGE_CONF: `${IMAGES_DIR}/conf/storage.conf`,
  };
}
