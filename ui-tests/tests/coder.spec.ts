/**
 * The panel names the coder of a search, and a stopped search resumes from the panel.
 */
import { expect, test } from '@jupyterlab/galata';

import { command, notebookWithData } from './support';

test.use({ autoGoto: true, viewport: { width: 1280, height: 1000 } });

test('the header names the coder; Stop, then Resume from the panel', async ({
  page
}) => {
  test.setTimeout(300_000);
  await notebookWithData(page, 'aide-coder.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    '%load_ext aide_jupyter\n%aide optimize --data df --target target --steps 60 "predict target; metric: accuracy"'
  );
  await page.notebook.runCell(0); // df is in the kernel already
  await expect(
    page.locator('.jp-OutputArea-output', {
      hasText: 'coder: builtin coder (offline baseline'
    })
  ).toBeVisible({ timeout: 30_000 });
  await command(page, 'aide-jupyter:open-panel');
  const head = page.locator('#aide-jupyter-panel .jp-aide-search-head');
  await expect(head).toBeVisible({ timeout: 60_000 });
  await expect(head.locator('.jp-aide-search-coder')).toHaveText(
    'coder: builtin (offline baseline, no LLM)'
  );
  await expect(head).toHaveAttribute('data-status', 'running', {
    timeout: 60_000
  });
  await head.getByRole('button', { name: 'Stop' }).click();
  await expect(head).toHaveAttribute('data-status', 'stopped', {
    timeout: 120_000
  });
  const resume = head.getByRole('button', { name: 'Resume' });
  await expect(resume).toBeVisible();
  await page
    .locator('#aide-jupyter-panel')
    .screenshot({ path: 'test-results/coder-stopped.png' });
  await resume.click();
  await expect(head).toHaveAttribute('data-status', /queued|running/, {
    timeout: 60_000
  });
  await head.getByRole('button', { name: 'Stop' }).click();
  await expect(head).toHaveAttribute('data-status', 'stopped', {
    timeout: 120_000
  });
});

test('the New search form opens roomy, not squeezed into the Searches section', async ({
  page
}) => {
  await notebookWithData(page, 'aide-form.ipynb');
  await command(page, 'aide-jupyter:open-panel');
  await command(page, 'aide-jupyter:new-search');
  const section = page.locator('#aide-jupyter-panel .jp-aide-searches-section');
  await expect(section.locator('form')).toBeVisible({ timeout: 30_000 });
  const box = await section.boundingBox();
  expect(box!.height).toBeGreaterThan(450); // goal, data, target, steps, model and the buttons
  await page
    .locator('#aide-jupyter-panel')
    .screenshot({ path: 'test-results/form-open.png' });
});
