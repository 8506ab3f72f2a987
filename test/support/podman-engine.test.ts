import { expect, it } from 'vitest';
import { startEngine } from './podman-engine.ts';

it('says what to install when podman is missing, rather than skipping', async () => {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    await expect(startEngine()).rejects.toThrow(/podman.*apt-get install -y podman runc busybox-static/);
  } finally {
    process.env.PATH = path;
  }
});
