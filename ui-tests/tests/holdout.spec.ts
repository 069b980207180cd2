/**
 * Trusted scores in the panel, in Chromium against a real JupyterLab with the builtin coder: the
 * form's Holdout field starts a search scored on held-out rows; the header names the holdout and
 * a node shows its holdout score beside the number it reported.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { notebookWithData } from './support';

async function command(page: IJupyterLabPageFixture, id: string): Promise<void> {
  await page.evaluate(
    (cmd: string) => (window as any).jupyterapp.commands.execute(cmd),
    id
  );
}

test.use({ autoGoto: true, viewport: { width: 1280, height: 1000 } });

test.describe('AIDE trusted scores', () => {
  test.setTimeout(Number(process.env.AIDE_E2E_TIMEOUT ?? 400_000));

  test('a holdout search shows both numbers side by side', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(error.message));
    await notebookWithData(page, 'aide-holdout.ipynb');

    await command(page, 'aide-jupyter:open-panel');
    const panel = page.locator('#aide-jupyter-panel');
    await expect(panel.locator('.jp-aide-status')).toHaveAttribute(
      'data-state',
      'ready'
    );
    await command(page, 'aide-jupyter:new-search');
    const form = panel.locator('form.jp-aide-form');
    await form
      .locator('textarea[name="goal"]')
      .fill('predict the diagnosis (target); metric accuracy');
    const dfBox = form.locator('input[name="data"][value="df"]');
    await expect(dfBox).toBeVisible({ timeout: 30_000 });
    await dfBox.check();
    await form.locator('input[name="target"]').fill('target');
    await form.locator('input[name="steps"]').fill('2');
    await form.locator('input[name="model"]').fill('builtin');
    await form.locator('input[name="holdout"]').fill('0.2');
    await form
      .getByRole('button', { name: 'Start search' })
      .click({ timeout: 15_000 });
    await expect(form).toHaveCount(0, { timeout: 30_000 });

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
