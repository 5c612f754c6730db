// The report page in a real headless browser (Debian's chromium driven by playwright-core): the plot is
// drawn with the right number of points per line, the bars and the table are there.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildReportHtml } from '../../src/study/html.ts';
import { sampleResults } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!existsSync(CHROMIUM))(`report page in headless chromium (needs ${CHROMIUM}: apt-get install chromium)`, () => {
  it('shows the trade-off plot, the group bars and the table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-page-'));
    const page = join(dir, 'index.html');
    writeFileSync(page, await buildReportHtml(sampleResults()));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const requests: string[] = [];
      tab.on('request', (r) => requests.push(r.url()));
      await tab.goto(pathToFileURL(page).href);
      const labels = await tab.locator('#tradeoff svg [aria-roledescription="point"]').evaluateAll((els) =>
        els.map((e) => (e.getAttribute('aria-label') ?? '').replace(/^series: ([^;]+);.*$/, '$1')),
      );
      const perLine: Record<string, number> = {};
      for (const l of labels) perLine[l] = (perLine[l] ?? 0) + 1;
      expect(perLine).toEqual({ 'a · input scaling': 3, 'a · layer-specific': 3, 'b · input scaling': 3, 'b · layer-specific': 2 });
      // Points are actually laid out inside the plot, not stacked at the origin.
      const boxes = await tab.locator('#tradeoff svg [aria-roledescription="point"]').evaluateAll((els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return `${Math.round(r.x)},${Math.round(r.y)}`;
        }),
      );
      expect(new Set(boxes).size).toBeGreaterThanOrEqual(9);
      expect(await tab.locator('#groups svg [aria-roledescription="bar"]').count()).toBe(9 * 4);
      expect(await tab.locator('#points tbody tr').count()).toBe(9);
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
      if (process.env.FLOPMAP_SCREENSHOT) await tab.screenshot({ path: process.env.FLOPMAP_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
