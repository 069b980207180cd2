/**
 * Trusted scores in the panel, in Chromium against a real JupyterLab with the builtin coder: the
 * form's Holdout field starts a search scored on held-out rows; the header names the holdout and
 * a node shows its holdout score beside the number it reported.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  notebookWithData,
  openNewSearchForm,
  submitSearchForm
} from './support';

test.use({ autoGoto: true, viewport: { width: 1280, height: 1000 } });

test.describe('AIDE trusted scores', () => {
  test.setTimeout(Number(process.env.AIDE_E2E_TIMEOUT ?? 400_000));

  test('a holdout search shows both numbers side by side', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(error.message));
    await notebookWithData(page, 'aide-holdout.ipynb');

    await openNewSearchForm(page);
    const panel = page.locator('#aide-jupyter-panel');
    await submitSearchForm(page, { steps: 2, holdout: '0.2' });

    const head = panel.locator('.jp-aide-search-head');
    await expect(head.locator('.jp-aide-holdout')).toContainText(
      'holdout accuracy · 114 rows',
      { timeout: 120_000 }
    );
    const good = panel.locator('.jp-aide-node[data-state="good"]').first();
    await expect(good).toBeVisible({ timeout: 180_000 });
    await expect(good.locator('.jp-aide-node-reported')).toHaveText(/0\.9\d*/);

    await good.click();
    const detail = panel.locator('.jp-aide-detail');
    await expect(detail.locator('.jp-aide-detail-metric')).toContainText(
      '(holdout)',
      { timeout: 30_000 }
    );
    await expect(detail.locator('.jp-aide-detail-reported')).toHaveText(
      /0\.9\d*/
    );
    expect(errors).toEqual([]);
  });
});
