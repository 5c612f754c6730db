// The report page in a real headless browser (Debian's chromium driven by playwright-core): the plot is
// drawn with the right number of points per line and a 95% error bar per point, the latency chart, the
// comparison table with its verdicts, the bars and the table (intervals included, within the page's width).
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
      // One error bar per plotted point (9 points; the baselines are shared by their lines), drawn with height.
      const bars = await tab.locator('#tradeoff svg [aria-roledescription="rule mark"]').evaluateAll((els) =>
        els.map((e) => ({ label: e.getAttribute('aria-label') ?? '', height: e.getBoundingClientRect().height })),
      );
      expect(bars.filter((b) => /95% CI of /.test(b.label))).toHaveLength(9);
      for (const b of bars) expect(b.height).toBeGreaterThan(3);
      expect(await tab.locator('#ci-note').innerText()).toMatch(/95% confidence intervals .* bootstrap over the 20 evaluation images \(1000 replicates/);
      // The AP interval of each point in the table: a@320 has AP 20.0 in [18.6, 21.2].
      expect(await tab.locator('#points tr[data-id="a@320"]').innerText()).toMatch(/20\.0\s+\[18\.6, 21\.2\]/);
      expect(await tab.locator('#points tr[data-id="a@256"]').innerText()).toMatch(/1\.57x fewer/);
      // The latency chart: one point per evaluated point.
      expect(await tab.locator('#latency svg [aria-roledescription="point"]').count()).toBe(9);
      // Comparisons: the verdict follows the paired interval.
      const verdicts = await tab.locator('#comparisons tbody tr').evaluateAll((rows) =>
        rows.map((r) => [r.getAttribute('data-point'), r.lastElementChild?.textContent ?? '']),
      );
      expect(verdicts).toEqual([
        ['a+conv1x1-P3@320', 'no significant difference'],
        ['a+dwsep-P3@320', 'better than input scaling (significant)'],
        ['b+conv1x1-P3@416', 'worse than input scaling (significant)'],
      ]);
      // Labels do not overlap each other.
      const labelBoxes = await tab.locator('#tradeoff svg g.mark-text text').evaluateAll((els) =>
        els.map((e) => e.getBoundingClientRect()).map((r) => ({ x0: r.left, y0: r.top, x1: r.right, y1: r.bottom })),
      );
      expect(labelBoxes.length).toBeGreaterThanOrEqual(9);
      for (let i = 0; i < labelBoxes.length; i++) {
        for (let j = i + 1; j < labelBoxes.length; j++) {
          const a = labelBoxes[i]!;
          const b = labelBoxes[j]!;
          const overlap = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > 1 && Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > 1;
          expect(overlap, `labels ${i} and ${j}`).toBe(false);
        }
      }
      // The page does not scroll sideways: the tables fit.
      const [scrollWidth, clientWidth] = await tab.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
      if (process.env.FLOPMAP_SCREENSHOT) await tab.screenshot({ path: process.env.FLOPMAP_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
