// The runtime configuration beside the app (config.json, served by the sidecar from its environment, or
// written next to a static build). Missing or invalid: the build's defaults apply.
import * as v from 'valibot';
import { AppConfigSchema, type AppConfig } from '../../../../../protocol/app-config.ts';

export async function loadAppConfig(fetcher: typeof fetch = fetch): Promise<AppConfig> {
  try {
    const response = await fetcher('/config.json', { cache: 'no-store' });
    if (!response.ok) return {};
    const parsed = v.safeParse(AppConfigSchema, await response.json());
    return parsed.success ? parsed.output : {};
  } catch {
    return {};
  }
}
