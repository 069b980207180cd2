import { expect, test } from '@jupyterlab/galata';

test.describe('AIDE side panel', () => {
  test('opens from the right sidebar and shows the server extension answer', async ({
    page
  }) => {
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(error.message));

    await page.getByRole('tab', { name: 'AIDE' }).click();
    const status = page.locator('.jp-aide-status');
    await expect(status).toHaveAttribute('data-state', 'ready');
    await expect(status).toContainText('AIDE server extension');
    await expect(status).toContainText('builtin');
    expect(errors).toEqual([]);

    // `AIDE_SCREENSHOT_DIR=../docs/images jlpm playwright test` refreshes the docs' screenshot.
    const shots = process.env.AIDE_SCREENSHOT_DIR;
    if (shots) {
      await page.screenshot({ path: `${shots}/panel.png` });
    }
  });

  test('is also reachable from the command palette', async ({ page }) => {
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('aide-jupyter:open-panel');
    });
    await expect(page.locator('#aide-jupyter-panel')).toBeVisible();
  });
});
