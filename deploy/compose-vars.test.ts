// Every variable and port the compose files name exists in the code they configure: a variable a service
// gets is read by that service (or substituted in its nats config), a variable the file substitutes is
// documented in the README, a published container port is the one the service listens on, and every
// variable of the README's configuration table reaches the sidecar.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../sidecar/src/config.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** Where a variable of a compose file may be documented. */
const DOCS = ['README.md', 'nats/README.md', 'docs/OPERATIONS.md'].map((f) =>
  readFileSync(join(ROOT, f), 'utf8'),
);

interface Service {
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  build?: { dockerfile?: string; context?: string };
}

/** The compose file as written (before substitution), parsed by the YAML library docker-compose uses. */
function compose(file: string): { text: string; services: Record<string, Service> } {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const json = execFileSync(
    '/usr/bin/python3',
    ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
    { input: text, encoding: 'utf8' },
  );
  return { text, services: (JSON.parse(json) as { services: Record<string, Service> }).services };
}

/** The non-test TypeScript under `dir`, comments removed. */
function code(dir: string): string {
  const files = readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
  );
  return files
    .map((f) => readFileSync(join(ROOT, dir, f), 'utf8'))
    .join('\n')
    .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
}

/** Whether the non-test code under `dir` reads the variable (`env.NAME`, or its name as a string). */
const readIn = (dir: string) => (name: string) =>
  new RegExp(`env\\.${name}\\b|['"\`]${name}['"\`]`).test(code(dir));

/** Where each service's variables must be read. */
const READERS: Record<string, (name: string) => boolean> = {
  truwatch: readIn('sidecar/src'),
  aggregator: readIn('aggregator/src'),
  nats: (name) =>
    readdirSync(join(ROOT, 'nats/prod'))
      .filter((f) => f.endsWith('.conf'))
      .some((f) => new RegExp(`\\$${name}\\b`).test(readFileSync(join(ROOT, 'nats/prod', f), 'utf8'))),
};

const FILES = [
  'deploy/docker-compose.monitor.yml',
  'deploy/docker-compose.federation.yml',
  'nats/docker-compose.yml',
];

describe('the compose files against the code', () => {
  for (const file of FILES) {
    const { text, services } = compose(file);

    it(`${file}: every variable a service gets is read by it`, () => {
      for (const [name, service] of Object.entries(services)) {
        const reads = READERS[name];
        const variables = Object.keys(service.environment ?? {});
        if (!reads) expect(variables, `${name} has no reader`).toEqual([]);
        else for (const variable of variables) expect(reads(variable), `${name}: ${variable}`).toBe(true);
      }
    });

    it(`${file}: every substituted variable is documented`, () => {
      const substituted = [...text.matchAll(/\$\{(\w+)/g)].map((m) => m[1]!);
      expect(substituted.length).toBeGreaterThan(0);
      for (const variable of substituted)
        expect(
          DOCS.some((doc) => doc.includes(`\`${variable}\``)),
          variable,
        ).toBe(true);
    });

    it(`${file}: every published port is one its service listens on`, () => {
      for (const [name, service] of Object.entries(services)) {
        const listening = Object.entries(service.environment ?? {})
          .filter(([key]) => /PORT$/.test(key))
          .map(([, value]) => String(value));
        for (const mapping of service.ports ?? []) {
          const port = mapping.split(':').at(-1)!;
          expect(listening, `${name}: ${mapping}`).toContain(port);
          if (service.build?.dockerfile) {
            const dockerfile = readFileSync(
              join(ROOT, 'deploy', service.build.dockerfile.replace(/^deploy\//, '')),
              'utf8',
            );
            expect(dockerfile, `${name}: EXPOSE ${port}`).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));
          }
        }
      }
    });
  }

  it('the monitor passes every variable of the README table, and 8090 is the sidecar default', () => {
    const table = README.slice(
      README.indexOf('## Configuration'),
      README.indexOf('The compose files also read'),
    );
    const documented = [...table.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]!);
    expect(documented.length).toBeGreaterThan(10);
    const env = Object.keys(compose('deploy/docker-compose.monitor.yml').services.truwatch!.environment!);
    for (const variable of documented.filter((v) => v !== 'DOCKER_HOST')) expect(env).toContain(variable);
    expect(loadConfig({}).port).toBe(8090);
  });
});
