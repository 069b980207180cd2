/**
 * Shared steps of the browser tests (not a spec: Playwright only runs *.spec.ts).
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';

/** The user's data: scikit-learn's breast-cancer frame as `df` (569 rows, a `target` column). */
export const LOAD_DATA = [
  'from sklearn.datasets import load_breast_cancer',
  'df = load_breast_cancer(as_frame=True).frame',
  'df.shape'
].join('\n');

/** A new notebook whose kernel holds `df`, as a user's would before starting a search. */
export async function notebookWithData(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  await page.notebook.createNew(name);
  await page.notebook.setCell(0, 'code', LOAD_DATA);
  await page.notebook.runCell(0);
  await expect(page.locator('.jp-OutputArea-output').first()).toContainText(
    '569'
  );
}

/** Run a JupyterLab command by id, as a menu or the palette would. */
export async function command(
  page: IJupyterLabPageFixture,
  id: string
): Promise<void> {
  await page.evaluate(
    (cmd: string) => (window as any).jupyterapp.commands.execute(cmd),
    id
  );
}

/** What a test types into the New search form (the data is `df`, the target its `target`). */
export interface ISearchForm {
  goal?: string;
  steps: number;
  holdout?: string;
  seedDrafts?: number;
  /** The submit button's label: "Start search", or "Improve this cell" for a seed. */
  submit?: string;
}

/**
 * Fill the open New search form as a user would (goal, tick `df`, pick `target` from the
 * column list, steps, the builtin coder) and start the search; waits for the form to close.
 */
export async function submitSearchForm(
  page: IJupyterLabPageFixture,
  options: ISearchForm
): Promise<void> {
  const form = page.locator('#aide-jupyter-panel form.jp-aide-form');
  await form
    .locator('textarea[name="goal"]')
    .fill(options.goal ?? 'predict the diagnosis (target); metric accuracy');
  const dfBox = form.locator('input[name="data"][value="df"]');
  await expect(dfBox).toBeVisible({ timeout: 30_000 });
  // The only table in the kernel is ticked for the user already.
  await expect(dfBox).toBeChecked();
  await form.locator('select[name="target"]').selectOption('target');
  await form.locator('input[name="steps"]').fill(String(options.steps));
  if (options.seedDrafts !== undefined) {
    await form
      .locator('input[name="seed_drafts"]')
      .fill(String(options.seedDrafts));
  }
  await form.locator('input[name="model"]').fill('builtin');
  if (options.holdout !== undefined) {
    await form.locator('input[name="holdout"]').fill(options.holdout);
  }
  await form
    .getByRole('button', { name: options.submit ?? 'Start search' })
    .click({ timeout: 15_000 });
  await expect(form).toHaveCount(0, { timeout: 30_000 });
}

/** One cell of an open notebook as its model holds it (windowing may not render them all). */
export interface ICellInfo {
  source: string;
  id: string;
  metadata: any;
  /** How many error outputs it has. */
  errors: number;
}

/** The cells of the open notebook whose path ends with `path`, read from its model. */
export async function notebookCells(
  page: IJupyterLabPageFixture,
  path: string
): Promise<ICellInfo[]> {
  return page.evaluate((suffix: string) => {
    const app = (window as any).jupyterapp;
    for (const widget of app.shell.widgets('main')) {
      if (widget.context?.path?.endsWith(suffix)) {
        return widget.content.model.toJSON().cells.map((c: any) => ({
          source: Array.isArray(c.source) ? c.source.join('') : c.source,
          id: c.id,
          metadata: c.metadata,
          errors: (c.outputs ?? []).filter(
            (o: any) => o.output_type === 'error'
          ).length
        }));
      }
    }
    return [];
  }, path);
}

/** Open the AIDE panel, wait for the server extension's answer, and open the New search form. */
export async function openNewSearchForm(
  page: IJupyterLabPageFixture
): Promise<void> {
  await command(page, 'aide-jupyter:open-panel');
  await expect(
    page.locator('#aide-jupyter-panel .jp-aide-status')
  ).toHaveAttribute('data-state', 'ready');
  await command(page, 'aide-jupyter:new-search');
}
