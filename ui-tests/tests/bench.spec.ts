/**
 * Benchmark (AIDE_BENCH=1 only): render time of a 1,000-node tree after selecting its search, and
 * the time from a live event being emitted to the tree showing it. Targets: < 300 ms, < 200 ms.
 * The server's start-up scan finds the synthetic journal written by jupyter_server_test_config.py.
 */
import { expect, test } from '@jupyterlab/galata';

const SCHEMA = 'https://events.aide-jupyter.org/search';

test.skip(process.env.AIDE_BENCH !== '1', 'benchmark: set AIDE_BENCH=1');

test('1,000-node tree: select-to-render and event-to-render times', async ({
  page
}) => {
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('aide-jupyter:open-panel')
  );
  const item = page.locator('.jp-aide-search[data-search-id="bench-1000"]');
  await expect(item).toBeVisible({ timeout: 30_000 });

  // Select: click to the tree's rows in the DOM (includes GET of 1,000 node summaries).
  const renderMs = await page.evaluate(async () => {
    const el = document.querySelector(
      '.jp-aide-search[data-search-id="bench-1000"]'
    ) as HTMLElement;
    const t0 = performance.now();
    el.click();
    for (;;) {
      await new Promise(r => requestAnimationFrame(r));
      const tree = document.querySelector('.jp-aide-tree[data-rows="1000"]');
      if (tree && tree.querySelector('.jp-aide-node')) {
        return performance.now() - t0;
      }
    }
  });

  // Live events: emitted through jupyter_server's event bus (POST /api/events), shown in the tree.
  const eventMs: number[] = [];
  for (let k = 0; k < 5; k++) {
    const ms = await page.evaluate(
      async ({ k, schema }) => {
        const app = (window as any).jupyterapp;
        const id = `live${k}`;
        const t0 = performance.now();
        await app.serviceManager.events.emit({
          schema_id: schema,
          version: '1',
          data: {
            kind: 'node',
            search_id: 'bench-1000',
            node: {
              id,
              step: 1000 + k,
              stage: 'improve',
              parent_id: 'n0000',
              status: 'running',
              metric: null,
              is_buggy: null
            }
          }
        });
        for (;;) {
          await new Promise(r => requestAnimationFrame(r));
          if (document.querySelector(`.jp-aide-node[data-node-id="${id}"]`)) {
            return performance.now() - t0;
          }
        }
      },
      { k, schema: SCHEMA }
    );
    eventMs.push(ms);
  }
  const median = [...eventMs].sort((a, b) => a - b)[2];
  console.log(
    `| measure | ms | target |\n|---|---|---|\n| select -> 1,000-node tree rendered | ${renderMs.toFixed(1)} | 300 |\n` +
      `| live event -> row shown (median of 5) | ${median.toFixed(1)} | 200 |\n` +
      `| live event, all 5 | ${eventMs.map(m => m.toFixed(1)).join(', ')} | |`
  );
  expect(renderMs).toBeLessThan(300);
  expect(median).toBeLessThan(200);
});
