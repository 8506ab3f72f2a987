// docs/FEDERATION.md shows one example of each message: they must be what the schemas accept.
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  ActivityMessageSchema,
  FeedMessageSchema,
  HeartbeatMessageSchema,
  StatsMessageSchema,
  TaskMessageSchema,
} from './federation.ts';

const doc = readFileSync(new URL('../docs/FEDERATION.md', import.meta.url), 'utf8');
const SCHEMAS = {
  task: TaskMessageSchema,
  heartbeat: HeartbeatMessageSchema,
  activity: ActivityMessageSchema,
  stats: StatsMessageSchema,
  feed: FeedMessageSchema,
} as const;

describe('docs/FEDERATION.md', () => {
  it.each(Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[])('has a valid %s example', (name) => {
    const block = new RegExp('```json ' + name + '\\n([\\s\\S]*?)```').exec(doc);
    expect(block, `a json ${name} block`).not.toBeNull();
    const result = v.safeParse(SCHEMAS[name], JSON.parse(block![1]!));
    expect(result.issues?.map((i) => i.message) ?? []).toEqual([]);
  });
});
