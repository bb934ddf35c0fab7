// The HTML report in a real headless Chromium (Debian's, driven by playwright-core): it renders offline, the
// chart holds one point per request, the console stays clean. Screenshots land in reports/screenshots/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM } from '../setup/state';
import { HOSTILE, hostileJournal, recordedJournal } from '../../test/report/journals';
import type { Journal } from './journal';
import { writeJournal, writeRunReports } from './write';

const SCREENSHOTS = join(__dirname, '..', '..', 'reports', 'screenshots');

let browser: Browser;
let dir: string;

beforeAll(async () => {
  // Not a skip: without a browser this test would prove nothing about the page, so it fails and says why.
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing; the HTML report is tested in a real browser: run \`npm run setup\` (it installs Debian's chromium package)`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  dir = mkdtempSync(join(tmpdir(), 'drill-html-browser-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 20_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface OpenedPage {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests, in the order seen. */
  problems: string[];
}

async function open(file: string): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(pathToFileURL(file).href);
  return { page, problems };
}

/** Writes the journal's reports as `drill run` does, opens its page and waits for the chart. */
async function openDrill(journal: Journal): Promise<OpenedPage & { points: number }> {
  writeJournal(dir, journal);
  const opened = await open(join(dir, journal.scenario.name, 'index.html'));
  const points = await opened.page.waitForFunction(() => (globalThis as { __drillReport?: { points: number } }).__drillReport?.points, undefined, { timeout: 5000 });
  return { ...opened, points: (await points.jsonValue()) as number };
}

it('renders a recorded drill: a chart with one point per request, a clean console, a screenshot', async () => {
  const journal = recordedJournal();
  const { page, problems, points } = await openDrill(journal);
  await page.screenshot({ path: join(SCREENSHOTS, `${journal.scenario.name}.png`), fullPage: true });

  expect(points).toBe(journal.records?.sentMs.length);
  expect(await page.locator('#timeline').getAttribute('data-points')).toBe(String(journal.records?.sentMs.length));
  const canvas = await page.locator('#timeline canvas').boundingBox();
  expect(canvas?.width).toBeGreaterThan(600);
  expect(canvas?.height).toBeGreaterThan(200);
  expect(await page.locator('#verdict').textContent()).toBe('FAIL');
  expect(await page.locator('#thresholds tbody tr').count()).toBe(journal.thresholds.length);
  expect(await page.locator('.u-legend .u-series').allTextContents()).toEqual(expect.arrayContaining([
    expect.stringContaining('primary (261)'), expect.stringContaining('standby (872)'), expect.stringContaining('failed (67)'),
  ]));
  expect(problems).toEqual([]);
  await page.close();
});

it('shows hostile journal text as text, in the page and in the chart legend', async () => {
  const journal = hostileJournal();
  const { page, problems, points } = await openDrill(journal);
  await page.screenshot({ path: join(SCREENSHOTS, `${journal.scenario.name}.png`), fullPage: true });

  expect(points).toBe(40);
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator('.desc').textContent()).toBe(`description ${HOSTILE}`);
  expect(await page.locator('.u-legend').textContent()).toContain(`${HOSTILE} (1)`);
  expect(problems).toEqual([]);
  await page.close();
});

it('renders the run index, linking each drill\'s page', async () => {
  const journals = [recordedJournal(), hostileJournal()];
  for (const journal of journals) writeJournal(dir, journal);
  writeRunReports(dir, journals);
  const { page, problems } = await open(join(dir, 'index.html'));

  await page.getByRole('link', { name: 'primary-crash' }).click();
  await page.waitForFunction(() => (globalThis as { __drillReport?: unknown }).__drillReport !== undefined, undefined, { timeout: 5000 });
  expect(await page.locator('h1').textContent()).toContain('primary-crash');
  expect(problems).toEqual([]);
  await page.close();
});
