/**
 * "Improve this cell with AIDE" in Chromium against a real JupyterLab with the builtin coder:
 * right-click the user's model cell, pick the command, start from the form (the cell is the
 * seed), see the seed as the root of the tree marked as the user's code, the diff against it, and
 * promote a result below that cell.
 */
import { expect, test } from '@jupyterlab/galata';

import { notebookCells, notebookWithData, submitSearchForm } from './support';

const NOTEBOOK = 'aide-seed.ipynb';
const SEED = [
  'from sklearn.model_selection import cross_val_score',
  'from sklearn.tree import DecisionTreeClassifier',
  'X = df.drop(columns=["target"])',
  'y = df["target"]',
  'model = DecisionTreeClassifier(max_depth=1, random_state=0)',
  'print("accuracy:", cross_val_score(model, X, y, cv=5).mean())',
  'model.fit(X, y)'
].join('\n');


test.use({ autoGoto: true, viewport: { width: 1280, height: 1000 } });

test.describe('Improve this cell with AIDE', () => {
  test.setTimeout(Number(process.env.AIDE_E2E_TIMEOUT ?? 400_000));

  test('right-click a cell, start from it, see the seed root', async ({
    page
  }, testInfo) => {
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(error.message));
    // The panel warns when it cannot find the seed cell again (the promote check below).
    page.on('console', message => {
      if (message.text().startsWith('AIDE:')) {
        errors.push(message.text());
      }
    });
    await notebookWithData(page, NOTEBOOK);
    // Running the data cell may have left an empty cell below it: the seed goes in cell 1.
    if ((await notebookCells(page, NOTEBOOK)).length > 1) {
      await page.notebook.setCell(1, 'code', SEED);
    } else {
      await page.notebook.addCell('code', SEED);
    }
    await page.notebook.addCell('code', 'print("a cell below")');
    expect((await notebookCells(page, NOTEBOOK)).map(c => c.source)).toEqual([
      expect.stringContaining('load_breast_cancer'),
      SEED,
      'print("a cell below")'
    ]);
    const seedCellId = (await notebookCells(page, NOTEBOOK))[1].id;

    // The cell's context menu has the command; it opens the form with the cell as the seed.
    await page.notebook.selectCells(1);
    await (await page.notebook.getCellLocator(1))!
      .locator('.jp-InputArea-editor')
      .click({ button: 'right' });
    await page
      .getByRole('menuitem', { name: 'Improve this cell with AIDE' })
      .click({ timeout: 15_000 });
    const panel = page.locator('#aide-jupyter-panel');
    const form = panel.locator('form.jp-aide-form');
    const seedBox = form.locator('.jp-aide-seed');
    await expect(seedBox).toBeVisible({ timeout: 30_000 });
    await expect(seedBox).toHaveAttribute('data-seed-cell', seedCellId);
    await expect(seedBox.locator('.jp-aide-seed-code')).toContainText(
      'DecisionTreeClassifier(max_depth=1'
    );
    await expect(seedBox).toContainText('Starting point: your cell (7 lines)');
    // The notebook was saved first, so the server can read the cells above the seed.
    expect(
      await page.evaluate(
        () => (window as any).jupyterapp.shell.currentWidget.context.model.dirty
      )
    ).toBe(false);
    await page.screenshot({
      path: testInfo.outputPath('seed-form.png')
    });

    await submitSearchForm(page, {
      steps: 4,
      seedDrafts: 1,
      submit: 'Improve this cell'
    });

    // The root of the tree is the user's code, marked so; it runs first and gets a metric.
    const nodes = panel.locator('.jp-aide-tree .jp-aide-node');
    const root = nodes.first();
    await expect(root.locator('.jp-aide-node-seed')).toHaveText('your code', {
      timeout: 60_000
    });
    await expect(root.locator('.jp-aide-node-step')).toHaveText('#0');
    await expect(root).toHaveAttribute('data-state', 'good', {
      timeout: 180_000
    });
    await expect(root.locator('.jp-aide-node-metric')).toHaveText(/0\.\d+/);
    await expect
      .poll(() => nodes.count(), { timeout: 180_000 })
      .toBeGreaterThanOrEqual(4);
    await expect(panel.locator('.jp-aide-node[data-state="running"]')).toHaveCount(
      0,
      { timeout: 180_000 }
    );
    await root.click();
    const detail = panel.locator('.jp-aide-detail');
    await expect(detail.locator('.jp-aide-seed-mark')).toHaveText('your code');
    await expect(detail).toContainText('Your own code: the root of this search.');

    // A draft beside the seed shows its diff against the user's code.
    const draft = nodes.filter({
      has: page.locator('.jp-aide-node-stage', { hasText: /^draft$/ })
    });
    await draft.first().click();
    const seedDiff = detail.locator('.jp-aide-seed-diff');
    await expect(seedDiff.locator('summary')).toHaveText(
      'Diff against your code (the seed)'
    );
    await expect(seedDiff.locator('.jp-aide-diff-del').first()).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath('seed-tree.png') });

    // Promote: the result goes below the seed's cell, though the active cell is the first one.
    await page.notebook.selectCells(0);
    await draft.first().click();
    const draftId = await draft.first().getAttribute('data-node-id');
    await detail.getByRole('button', { name: 'Promote' }).click();
    await expect
      .poll(async () => (await notebookCells(page, NOTEBOOK))[2]?.metadata?.aide_origin)
      .toMatchObject({ node_id: draftId });
    const cells = await notebookCells(page, NOTEBOOK);
    expect(cells[1].source).toBe(SEED);
    expect(cells[cells.length - 1].source).toBe('print("a cell below")');
    expect(errors).toEqual([]);
  });
});
