// The runtime configuration beside the app (config.json, served by the sidecar from its environment and the
// federation settings set through its API, or written next to a static build). Missing or invalid: the build's
// defaults apply. Read by the page at load and by the federation worker on its slow round (a change made with
// the sidecar's API while the app is open).
import * as v from 'valibot';
import { AppConfigSchema, type AppConfig } from '../../../../protocol/app-config.ts';

export async function loadAppConfig(fetcher: typeof fetch = fetch): Promise<AppConfig> {
  return (await readAppConfig(fetcher)) ?? {};
}

/** config.json as it is now; undefined when it could not be read (so a passing failure changes nothing). */
export async function readAppConfig(fetcher: typeof fetch = fetch): Promise<AppConfig | undefined> {
  try {
    const response = await fetcher('/config.json', { cache: 'no-store' });
    if (!response.ok) return undefined;
    const parsed = v.safeParse(AppConfigSchema, await response.json());
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}
