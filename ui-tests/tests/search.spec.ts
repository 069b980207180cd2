/**
 * The whole loop in Chromium against a real JupyterLab with the builtin coder: start a search from
 * the panel's form on a notebook's DataFrame, watch the tree grow live, inspect the best node,
 * promote it and run it, cherry-pick cells, fork with an instruction, stop the search.
 */
import {
  expect,
  galata,
  test
} from '@jupyterlab/galata';

import {
  command,
  notebookCells,
  openNewSearchForm,
  notebookWithData,
  submitSearchForm
} from './support';

const NOTEBOOK = 'aide-e2e.ipynb';


/** WCAG contrast ratio of two CSS colours `rgb(a)(r, g, b[, a])` (alpha blended on the other). */
function contrast(fg: string, bg: string): number {
  const parse = (c: string) => c.match(/[\d.]+/g)!.map(Number);
  const [br, bgG, bb] = parse(bg);
  const [fr, fgG, fb, fa = 1] = parse(fg);
  const blend = [
    fr * fa + br * (1 - fa),
    fgG * fa + bgG * (1 - fa),
    fb * fa + bb * (1 - fa)
  ];
  const lum = (rgb: number[]) => {
    const [r, g, b] = rgb.map(v => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [l1, l2] = [lum(blend), lum([br, bgG, bb])].sort((a, b) => b - a);
  return (l1 + 0.05) / (l2 + 0.05);
}


// A laptop-sized window (1080p screen less the browser's chrome): the docs' screenshots.
test.use({ autoGoto: true, viewport: { width: 1280, height: 1000 } });

test.describe('AIDE search from the panel', () => {
  test.setTimeout(Number(process.env.AIDE_E2E_TIMEOUT ?? 600_000));

  test('start, watch live, inspect, promote, cherry-pick, fork, stop', async ({
    page
  }) => {
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(error.message));

    await notebookWithData(page, NOTEBOOK);

    await openNewSearchForm(page);
    const panel = page.locator('#aide-jupyter-panel');

    await submitSearchForm(page, { steps: 30 });

    // The tree grows from live events (no reload, no polling in the panel).
    const head = panel.locator('.jp-aide-search-head');
    await expect(head).toBeVisible();
    const nodes = panel.locator('.jp-aide-tree .jp-aide-node');
    await expect(nodes.first()).toBeVisible({ timeout: 60_000 });
    const firstCount = await nodes.count();
    await expect(
      panel.locator('.jp-aide-node[data-state="good"]').first()
    ).toBeVisible({ timeout: 180_000 });
    await expect
      .poll(() => nodes.count(), { timeout: 120_000 })
      .toBeGreaterThan(Math.max(firstCount, 2));
    await expect(
      panel.locator('svg.jp-aide-chart circle').first()
    ).toBeVisible();

    // Select the best node: its code in CodeMirror, its output, its diff section.
    await panel.locator('.jp-aide-node.jp-aide-best').click();
    const detail = panel.locator('.jp-aide-detail');
    await expect(detail).toBeVisible({ timeout: 30_000 });
    const bestId = await detail.getAttribute('data-node-id');
    expect(bestId).toBeTruthy();
    await expect(
      detail.locator('.jp-aide-cell .cm-editor').first()
    ).toBeVisible();
    await expect(detail.locator('.jp-aide-diff-section')).toBeVisible();
    const cellCount = await detail.locator('.jp-aide-cell').count();
    expect(cellCount).toBeGreaterThan(0);

    // Promote into the notebook, below the active cell (the data cell), and run everything.
    const before = (await notebookCells(page, NOTEBOOK)).length;
    await detail.getByRole('button', { name: 'Promote' }).click();
    await expect
      .poll(async () => (await notebookCells(page, NOTEBOOK)).length)
      .toBe(before + cellCount);
    const promoted = await notebookCells(page, NOTEBOOK);
    const fromBest = promoted.filter(
      c => c.metadata.aide_origin?.node_id === bestId
    );
    expect(fromBest).toHaveLength(cellCount);
    await page.notebook.run();
    await page.notebook.waitForRun();
    const ran = await notebookCells(page, NOTEBOOK);
    expect(ran.reduce((n, c) => n + c.errors, 0)).toBe(0);

    // Back to the panel: cherry-pick two cells of a node that has at least two.
    await command(page, 'aide-jupyter:open-panel');
    const boxes = detail.locator('.jp-aide-cell input[type="checkbox"]');
    if (cellCount >= 2) {
      await boxes.nth(0).check();
      await boxes.nth(1).check();
      const n0 = (await notebookCells(page, NOTEBOOK)).length;
      await detail.getByRole('button', { name: 'Insert 2 ticked' }).click();
      await expect
        .poll(async () => (await notebookCells(page, NOTEBOOK)).length)
        .toBe(n0 + 2);
      await command(page, 'aide-jupyter:open-panel');
    }

    // Fork the best node with an instruction: the child appears in the tree and shows a diff.
    await detail.locator('.jp-aide-fork-section > summary').click();
    await detail.locator('textarea[name="instruction"]').fill('use more trees');
    await detail
      .getByRole('button', { name: /Fork: run as a child node/ })
      .click();
    const child = panel
      .locator('.jp-aide-node.jp-mod-selected')
      .filter({
        has: page.locator('.jp-aide-node-stage', { hasText: /^fork$/ })
      });
    await expect(child).toBeVisible({ timeout: 30_000 });
    const childId = await child.getAttribute('data-node-id');
    expect(childId).not.toBe(bestId);
    await expect(child.locator('.jp-aide-node-stage')).toHaveText('fork');

    // The tree gets a fair share of the sidebar: at least 10 rows in view by default.
    await panel.locator('.jp-aide-node.jp-aide-best').click();
    await expect(
      detail.locator('.jp-aide-cell .cm-editor').first()
    ).toBeVisible();
    const treeHeight = await panel
      .locator('.jp-aide-tree')
      .evaluate(el => el.clientHeight);
    expect(treeHeight).toBeGreaterThanOrEqual(10 * 24);
    await expect(detail.locator('.jp-aide-detail-head')).toBeInViewport();

    // The selection is readable in both themes, and the dark theme really applies.
    const selection = async () =>
      page.evaluate(() => {
        const el = document.querySelector(
          '.jp-aide-search[aria-selected="true"]'
        )!;
        const style = getComputedStyle(el);
        return { color: style.color, background: style.backgroundColor };
      });
    const light = await selection();
    expect(light.color).not.toBe(light.background);
    const shots = process.env.AIDE_SCREENSHOT_DIR;
    if (shots) {
      await page.screenshot({ path: `${shots}/panel-light.png` });
    }
    await page.theme.setDarkTheme();
    await expect(page.locator('body')).toHaveAttribute(
      'data-jp-theme-light',
      'false'
    );
    await expect(page.locator('body')).toHaveAttribute(
      'data-jp-theme-name',
      'JupyterLab Dark'
    );
    // Wait for the dark variables to reach the panel (the theme's CSS loads asynchronously).
    await expect
      .poll(() => panel.evaluate(el => getComputedStyle(el).backgroundColor))
      .toBe('rgb(33, 33, 33)');
    const dark = await selection();
    expect(dark).not.toEqual(light);
    expect(contrast(dark.color, dark.background)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(light.color, light.background)).toBeGreaterThanOrEqual(4.5);
    if (shots) {
      // Let the compositor paint the new theme before the shot (two animation frames).
      await page.evaluate(
        () => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))
      );
      await page.screenshot({ path: `${shots}/panel-dark.png` });
      expect(await panel.evaluate(el => getComputedStyle(el).backgroundColor)).toBe(
        'rgb(33, 33, 33)'
      );
    }
    await page.theme.setLightTheme();
    await expect(page.locator('body')).toHaveAttribute(
      'data-jp-theme-light',
      'true'
    );

    // Stop the search from the panel.
    const stop = head.getByRole('button', { name: 'Stop' });
    if (await stop.isVisible()) {
      await stop.click();
    }
    await expect(head).toHaveAttribute('data-status', /stopp|done/, {
      timeout: 60_000
    });
    expect(errors).toEqual([]);
  });
});

export { galata };
