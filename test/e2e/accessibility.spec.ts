/// <reference lib="dom" />
// Usable by everyone: every page of the monitor and the network page, in both themes, on a desktop and a phone,
// checked with axe-core (no serious or critical violation), for sideways scrolling and overlapping controls on
// the phone, for a nav that reaches every page, scrollable regions a keyboard can scroll, the task heading
// focused on opening a task, and the charts' numbers in tables. axe runs through page.evaluate, which the app's
// Content-Security-Policy does not govern (it binds the page's own scripts, not the browser's debugger).
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import { hourlySeries } from '../../web/src/lib/network/derive.ts';
import { enableFederation, FederationStack, startDevAggregator } from '../support/e2e-federation.ts';
import { logDir, openPaired, startFileSidecar, type LogDir } from '../support/e2e-monitor.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { fakeAggregator, sampleFeed, sampleStats } from '../support/network-messages.ts';
import { watchErrors } from '../support/network-page.ts';
import type { SidecarProcess } from '../support/sidecar-process.ts';
import { staticSite, type StaticSite } from '../support/static-site.ts';

const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;
const THEMES = ['light', 'dark'] as const;
const NAV = ['Dashboard', 'Tasks', 'Invoices', 'Logs', 'Alerts', 'Settings', 'Network', 'Federation'];

/** axe's serious and critical violations on the page as it is, one line each with where and why. */
async function axeViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map(
        (node) =>
          `${v.id} (${v.impact}) ${node.target.join(' ')}: ${v.help}. ${(node.failureSummary ?? '').replace(/\s+/g, ' ')}`,
      ),
    );
}

/** Waits until the page has laid out what a changed viewport or colour scheme asks for. */
const settle = (page: Page) =>
  page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

/** The elements that reach past the viewport's right edge (the deepest of each branch), when the page scrolls sideways. */
function sidewaysScroll(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.documentElement;
    if (root.scrollWidth <= root.clientWidth) return [];
    const describe = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${[...el.classList].map((c) => `.${c}`).join('')}`;
    const wide = [...document.body.querySelectorAll('*')].filter(
      (el) => el.getBoundingClientRect().right > root.clientWidth + 1,
    );
    const deepest = wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)));
    return [
      `the page is ${root.scrollWidth} px wide in a ${root.clientWidth} px viewport`,
      ...deepest
        .slice(0, 8)
        .map((el) => `${describe(el)} ends at ${Math.round(el.getBoundingClientRect().right)} px`),
    ];
  });
}

/** Pairs of visible controls whose boxes overlap. */
function overlappingControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = [
      ...document.querySelectorAll('a[href], button, input, select, textarea, summary'),
    ].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden' && r.right > 0;
    });
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('aria-label') || el.getAttribute('placeholder') || '').trim().slice(0, 30)}"`;
    const found: string[] = [];
    for (const [i, a] of controls.entries()) {
      for (const b of controls.slice(i + 1)) {
        if (a.contains(b) || b.contains(a)) continue;
        const r = a.getBoundingClientRect();
        const s = b.getBoundingClientRect();
        const x = Math.min(r.right, s.right) - Math.max(r.left, s.left);
        const y = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
        if (x > 1 && y > 1) found.push(`${name(a)} overlaps ${name(b)}`);
      }
    }
    return found;
  });
}

/** Elements that scroll (their content is larger than their box) but a keyboard cannot reach or a reader name. */
function unreachableScrollers(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const el of document.body.querySelectorAll<HTMLElement>('*')) {
      const style = getComputedStyle(el);
      const scrolls = (overflow: string) => overflow === 'auto' || overflow === 'scroll';
      const wide = scrolls(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
      const tall = scrolls(style.overflowY) && el.scrollHeight > el.clientHeight + 1;
      if (!(wide || tall) || el.getClientRects().length === 0) continue;
      // A name says what the region holds; a list or table has its role already, a div needs one given.
      const named = el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby');
      const role = el.hasAttribute('role') || ['OL', 'UL', 'TABLE'].includes(el.tagName);
      if (el.tabIndex >= 0 && role && named) continue;
      found.push(
        `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} scrolls ${wide ? 'sideways' : 'down'}` +
          ` (tabindex ${el.getAttribute('tabindex')}, role ${el.getAttribute('role')}, named ${named})`,
      );
    }
    return found;
  });
}

/** Every link of the main nav is on screen without scrolling anything, and Tab reaches each. */
async function navProblems(page: Page): Promise<string[]> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  const width = page.viewportSize()!.width;
  const problems: string[] = [];
  for (const label of NAV) {
    const link = nav.getByRole('link', { name: label, exact: true });
    const box = await link.boundingBox();
    const hit =
      box &&
      (await link.evaluate(
        (el, [x, y]) => el.contains(document.elementFromPoint(x!, y!)),
        [box.x + box.width / 2, box.y + box.height / 2],
      ));
    if (!box || box.x < 0 || box.x + box.width > width || !hit) problems.push(`${label} is not on screen`);
  }
  // Tab from the top of the page (the caller has just loaded it).
  const reached = new Set<string>();
  for (let i = 0; i < 15 && reached.size < NAV.length; i++) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate(() =>
      document.activeElement?.closest('nav') ? document.activeElement.textContent?.trim() : undefined,
    );
    if (label) reached.add(label);
  }
  for (const label of NAV) if (!reached.has(label)) problems.push(`Tab does not reach ${label}`);
  return problems;
}

/** The theme's colour pairs that carry text: each must read at 4.5:1 (WCAG AA for normal text). */
const TEXT_ON = {
  '--bg': ['--text', '--muted', '--accent', '--ok', '--bad', '--warn'],
  '--panel': ['--text', '--muted', '--accent', '--ok', '--bad', '--warn'],
  // The current nav link, pressed buttons, a disabled primary button, the federation state.
  '--accent-soft': ['--text', '--muted', '--accent', '--bad'],
  // A primary button.
  '--accent': ['--on-accent'],
};

/** WCAG's contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (rgb: string) => {
    const [r, g, b] = rgb.match(/\d+(\.\d+)?/g)!.map((c) => {
      const v = Number(c) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (high! + 0.05) / (low! + 0.05);
}

/** The pairs of TEXT_ON below 4.5:1 in the page's current theme, with their ratio. */
async function lowContrast(page: Page): Promise<string[]> {
  const names = [...new Set(Object.entries(TEXT_ON).flat(2))];
  // Resolved the way a canvas gets them (app/css-color.ts): a probe's computed colour.
  const colors = await page.evaluate((names) => {
    const probe = document.createElement('span');
    document.body.append(probe);
    const resolved = Object.fromEntries(
      names.map((name) => {
        probe.style.color = `var(${name})`;
        return [name, getComputedStyle(probe).color];
      }),
    );
    probe.remove();
    return resolved;
  }, names);
  return Object.entries(TEXT_ON).flatMap(([background, texts]) =>
    texts
      .map((text) => ({ text, ratio: contrast(colors[text]!, colors[background]!) }))
      .filter(({ ratio }) => ratio < 4.5)
      .map(({ text, ratio }) => `${text} on ${background}: ${ratio.toFixed(2)}:1`),
  );
}

/** Checks the page as it is shown now in every viewport and theme, softly: every problem of every page is listed. */
async function checkEverywhere(page: Page, name: string, ready: () => Locator): Promise<void> {
  for (const [viewport, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await settle(page);
    await expect(ready()).toBeVisible();
    if (viewport === 'phone') {
      expect.soft(await sidewaysScroll(page), `${name}: no sideways scroll at 390 px`).toEqual([]);
      expect.soft(await overlappingControls(page), `${name}: controls apart at 390 px`).toEqual([]);
    }
    expect.soft(await unreachableScrollers(page), `${name} (${viewport}): scrollers focusable`).toEqual([]);
    for (const colorScheme of THEMES) {
      await page.emulateMedia({ colorScheme });
      await settle(page);
      expect.soft(await axeViolations(page), `${name} (${viewport}, ${colorScheme}): axe`).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}

test.describe('usable by everyone: the monitor', () => {
  let log: LogDir;
  let sidecar: SidecarProcess;
  let page: Page;

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    log = await logDir(40);
    sidecar = await startFileSidecar(log);
    // axe finishes its run in a page of its own: the context must let it open one.
    page = await (await browser.newContext({ viewport: VIEWPORTS.desktop })).newPage();
    await openPaired(page, sidecar, log);
  });
  test.afterAll(async () => {
    await page?.context().close();
    await sidecar?.stop();
    log?.cleanup();
  });

  const invoiced = () => log.truth.invoices[0]!.executionId;
  const pages: [string, () => string, (page: Page) => Locator][] = [
    ['/', () => '/', (p) => p.locator('canvas').first()],
    ['/tasks', () => '/tasks', (p) => p.locator('a[href^="/tasks/"]').first()],
    [
      '/tasks/<id>',
      () => `/tasks/${encodeURIComponent(invoiced())}`,
      (p) => p.getByRole('heading', { name: /^Invoice / }),
    ],
    ['/logs', () => '/logs', (p) => p.locator('.entry .lvl').first()],
    ['/invoices', () => '/invoices', (p) => p.locator('tbody a[href^="/tasks/"]').first()],
    ['/alerts', () => '/alerts', (p) => p.getByTestId('no-channels')],
    ['/settings', () => '/settings', (p) => p.getByRole('heading', { name: 'Appearance' })],
    ['/federation', () => '/federation', (p) => p.getByTestId('sample-task')],
    ['/federation/sent', () => '/federation/sent', (p) => p.getByTestId('sent-count')],
    ['/connect', () => '/connect', (p) => p.getByRole('button', { name: 'Connect' })],
  ];
  for (const [name, path, ready] of pages) {
    test(`${name}: axe finds nothing serious in either theme, on a desktop and a phone`, async () => {
      test.setTimeout(180_000);
      await page.goto(`${sidecar.url}${path()}`);
      await page.locator('[data-state="live"]').waitFor();
      await checkEverywhere(page, name, () => ready(page));
    });
  }

  test('every text colour of both themes reads at 4.5:1 on the backgrounds it is used on', async () => {
    await page.goto(`${sidecar.url}/connect`);
    for (const colorScheme of THEMES) {
      await page.emulateMedia({ colorScheme });
      expect.soft(await lowContrast(page), colorScheme).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    // Disabled controls keep their words readable (axe skips them): the Connect button while it checks.
    const connect = page.getByRole('button', { name: 'Connect' });
    await connect.evaluate((button) => button.setAttribute('disabled', ''));
    for (const colorScheme of THEMES) {
      await page.emulateMedia({ colorScheme });
      const [color, background] = await connect.evaluate((b) => [
        getComputedStyle(b).color,
        getComputedStyle(b).backgroundColor,
      ]);
      expect
        .soft(contrast(color!, background!), `disabled primary button, ${colorScheme}`)
        .toBeGreaterThan(4.5);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('the nav reaches every page on a phone, by touch and by keyboard', async () => {
    await page.goto(`${sidecar.url}/`);
    await page.setViewportSize(VIEWPORTS.phone);
    await settle(page);
    expect(await navProblems(page)).toEqual([]);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Federation' })
      .press('Enter');
    await expect(page).toHaveURL(`${sidecar.url}/federation`);
    await page.setViewportSize(VIEWPORTS.desktop);
  });

  test('opening a task puts the focus on its heading; its log is a list the keyboard scrolls', async () => {
    await page.goto(`${sidecar.url}/tasks`);
    const first = page.locator('a[href^="/tasks/"]').first();
    const id = decodeURIComponent((await first.getAttribute('href'))!.slice('/tasks/'.length));
    await first.focus();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(`${sidecar.url}/tasks/${encodeURIComponent(id)}`);
    await expect(page.getByRole('heading', { level: 1, name: id })).toBeFocused();
    const entries = page.getByRole('list', { name: 'Log entries of this task' });
    await expect(entries).toHaveAttribute('tabindex', '0');
    await expect(entries.locator('li').first()).toBeVisible();
    // The Logs page's list: a named region too.
    await page.goto(`${sidecar.url}/logs`);
    await expect(page.getByRole('region', { name: /^Log entries/ })).toHaveAttribute('tabindex', '0');
  });

  test("the dashboard's chart has its numbers in a table", async () => {
    await page.goto(`${sidecar.url}/`);
    await page.getByText('Tasks over time in numbers').click();
    const table = page.getByRole('table', { name: /^Tasks over time/ });
    await expect(table).toBeVisible();
    // Every task of the log is from the last 24 hours: the received column adds up to all of them.
    await expect
      .poll(async () =>
        (await table.locator('tbody tr td:nth-child(2)').allInnerTexts()).reduce((a, b) => a + Number(b), 0),
      )
      .toBe(log.truth.executions.length);
  });
});

test.describe('usable by everyone: the network page', () => {
  let nats: NatsServer | undefined;
  let site: StaticSite | undefined;
  test.afterEach(async () => {
    await site?.close();
    await nats?.close();
    site = nats = undefined;
  });

  test('axe finds nothing serious, on a desktop and a phone, and the charts have their numbers', async ({
    page,
  }) => {
    test.setTimeout(180_000);
    nats = await startNatsServer();
    const aggregator = await fakeAggregator(nats);
    try {
      const stats = sampleStats();
      await aggregator.publish('stats', stats);
      await aggregator.publish('feed', sampleFeed(Date.now(), 30));
      site = await staticSite({ network: { natsUrl: nats.wsUrl, user: 'public', password: 'public' } });
      // Nothing axe does may trip the Content-Security-Policy (nor anything else throw in the page).
      const errors = watchErrors(page);
      await page.goto(`${site.url}/network`);
      await expect(page.locator('[data-network-state="live"]')).toBeVisible();
      await expect(page.locator('[data-feed] tbody tr')).toHaveCount(30);
      await checkEverywhere(page, '/network', () => page.locator('canvas').first());
      await expect(page.getByRole('region', { name: 'Live feed' })).toHaveAttribute('tabindex', '0');
      await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link')).toHaveCount(NAV.length);

      const series = hourlySeries(stats.hourly);
      await page.getByText('Tasks per hour in numbers').click();
      const table = page.getByRole('table', { name: /^Tasks per hour/ });
      await expect(table.locator('tbody tr')).toHaveCount(series.x.length);
      expect((await table.locator('tbody tr td:nth-child(2)').allInnerTexts()).map(Number)).toEqual(
        series.finished,
      );
      expect(errors).toEqual([]);
    } finally {
      await aggregator.close();
    }
  });
});

test.describe('usable by everyone: federation when it is on', () => {
  const stack = new FederationStack();
  test.afterEach(() => stack.stop());

  test('axe finds nothing serious on Federation and Sent with messages, on a desktop and a phone', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    const server = (stack.server = await startNatsServer());
    stack.aggregator = await startDevAggregator(server);
    const { log, sidecar } = await stack.startMonitor(server.wsUrl);
    await openPaired(page, sidecar, log);
    await enableFederation(page);
    await expect(page.getByTestId('received')).toContainText('active nodes');
    await checkEverywhere(page, '/federation (on)', () => page.locator('[data-fed-state="CONNECTED"]'));
    await page.getByRole('link', { name: 'See every message sent' }).click();
    await expect(page.locator('tbody tr[data-kind="task"]')).toHaveCount(log.truth.executions.length);
    await checkEverywhere(page, '/federation/sent (messages)', () => page.getByTestId('sent-count'));
  });
});
