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
