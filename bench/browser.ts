// Debian's Chromium for the browser benchmarks: a fresh profile each time, as a new operator's browser.
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS } from '../playwright.config.ts';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}
