/**
 * A search through a kernel restart, in Chromium against a real JupyterLab with the builtin coder:
 * open the journal at a node, fork a node with edited code (the diff against the parent shows the added and removed lines),
 * restart the notebook's kernel while that fork runs (the fork shows its error, the search shows
 * it paused with how to resume), and with AIDE_UI_RESUME=1 resume in another notebook.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { LOAD_DATA, notebookWithData } from './support';

const NOTEBOOK = 'aide-restart.ipynb';
const RESUME_NOTEBOOK = 'aide-resume.ipynb';
/** The fork's code: slow enough to be running when the kernel restarts. */
const SLOW_CODE = [
  'import time',
  'print("aide-ui-test: waiting for the restart")',
  'time.sleep(120)'
].join('\n');

/** The notebook's kernel id and path, from its widget. */
async function notebookSession(
  page: IJupyterLabPageFixture,
  name: string
): Promise<{ kernelId: string; path: string }> {
  return page.evaluate((name: string) => {
    const app = (window as any).jupyterapp;
    for (const widget of app.shell.widgets('main')) {
      if (widget.context?.path?.endsWith(name)) {
        return {
          kernelId: widget.sessionContext.session.kernel.id,
          path: widget.context.path
        };
      }
    }
    throw new Error(`no notebook ${name}`);
  }, name);
}

test.use({ autoGoto: true });

test.describe('AIDE search through a kernel restart', () => {
  test.setTimeout(Number(process.env.AIDE_E2E_TIMEOUT ?? 300_000));

  test('open in journal; a fork with code shows its diff; a kernel restart pauses, shows the error', async ({
    page
  }) => {
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(error.message));

    await notebookWithData(page, NOTEBOOK);
    const session = await notebookSession(page, NOTEBOOK);

    // Start a search over REST (the form is covered by search.spec.ts); it appears live.
    const created = await page.request.post('aide/searches', {
      data: {
        kernel_id: session.kernelId,
        notebook_path: session.path,
        goal: 'predict the diagnosis (target); metric accuracy',
        data: ['df'],
        target: 'target',
        steps: 40,
        model: 'builtin'
      }
    });
    expect(created.status()).toBe(201);
    const searchId = (await created.json()).id as string;

    await page.evaluate(() =>
      (window as any).jupyterapp.commands.execute('aide-jupyter:open-panel')
    );
    const panel = page.locator('#aide-jupyter-panel');
    await panel
      .locator(`.jp-aide-search[data-search-id="${searchId}"]`)
      .click();
    const head = panel.locator('.jp-aide-search-head');
    await expect(head).toHaveAttribute('data-search-id', searchId);
    const good = panel.locator(
      '.jp-aide-tree .jp-aide-node[data-state="good"]'
    );
    await expect(good.first()).toBeVisible({ timeout: 120_000 });

    // Fork the first good node with edited code.
    await good.first().click();
    const detail = panel.locator('.jp-aide-detail');
    const parentId = await good.first().getAttribute('data-node-id');
    await expect(detail).toHaveAttribute('data-node-id', parentId!);
    // Open in journal: the journal notebook opens, its active cell is the node's first cell.
    const bestId = parentId!;
    await detail.getByRole('button', { name: 'Open in journal' }).click();
    await expect
      .poll(() =>
        page.evaluate(() => {
          const current = (window as any).jupyterapp.shell.currentWidget;
          const cell = current?.content?.activeCell;
          return {
            path: current?.context?.path ?? '',
            node: cell?.model?.getMetadata('aide')?.node_id ?? null
          };
        })
      )
      .toEqual({
        path: expect.stringMatching(/aide-runs\/.+\/journal\.ipynb$/),
        node: bestId
      });
    const journalId = await page.evaluate(
      () => (window as any).jupyterapp.shell.currentWidget.id
    );
    await expect(
      page.locator(`[id="${journalId}"] .jp-Cell.jp-mod-active`)
    ).toBeInViewport();

    await page.evaluate(() =>
      (window as any).jupyterapp.commands.execute('aide-jupyter:open-panel')
    );
    await detail.locator('.jp-aide-fork-section > summary').click();
    await detail.getByLabel('Edit the code').check();
    const editor = detail.locator('.jp-aide-fork .cm-content');
    await editor.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.insertText(SLOW_CODE);
    await detail
      .getByRole('button', { name: /Fork: run as a child node/ })
      .click();

    // The fork is selected; its diff against the parent shows added and removed lines.
    const fork = panel.locator('.jp-aide-node.jp-mod-selected');
    await expect(fork.locator('.jp-aide-node-stage')).toHaveText('fork', {
      timeout: 30_000
    });
    const forkId = (await fork.getAttribute('data-node-id'))!;
    expect(forkId).not.toBe(parentId);
    await expect(detail).toHaveAttribute('data-node-id', forkId);
    const diff = detail.locator('.jp-aide-diff');
    await expect(diff).toBeVisible();
    await expect(
      diff.locator('.jp-aide-diff-line.jp-aide-diff-add')
    ).toHaveCount(3);
    await expect(
      diff.locator('.jp-aide-diff-line.jp-aide-diff-add').last()
    ).toContainText('time.sleep(120)');
    expect(Number(await diff.getAttribute('data-removed'))).toBeGreaterThan(3);
    await expect(
      diff.locator('.jp-aide-diff-line.jp-aide-diff-del').first()
    ).toBeVisible();
    await expect(diff.locator('.jp-aide-diff-stats')).toContainText('+3');

    // Restart the notebook's kernel while the fork runs.
    const forkRow = panel.locator(`.jp-aide-node[data-node-id="${forkId}"]`);
    await expect(forkRow).toHaveAttribute('data-state', 'running', {
      timeout: 120_000
    });
    const restarted = await page.request.post(
      `api/kernels/${session.kernelId}/restart`
    );
    expect(restarted.status()).toBe(200);

    // Paused, with how to resume; the fork failed with its error, shown in the row and the detail.
    await expect(head).toHaveAttribute('data-status', 'paused', {
      timeout: 60_000
    });
    const paused = head.locator('.jp-aide-warning[data-state="paused-kernel"]');
    await expect(paused).toBeVisible();
    await expect(paused).toContainText('Re-run the cells that define df');
    await expect(paused).toContainText('Resume');
    await expect(
      panel.locator(
        `.jp-aide-search[data-search-id="${searchId}"] .jp-aide-badge`
      )
    ).toHaveText('paused: kernel restarted');
    await expect(forkRow).toHaveAttribute('data-state', /error|buggy/);
    await expect(forkRow.locator('.jp-aide-node-error')).toBeVisible();
    await forkRow.click();
    await expect(detail.locator('.jp-aide-node-error-text')).toContainText(
      /Error: .*kernel/i
    );

    // Go on in another notebook (opt-in: AIDE_UI_RESUME=1). After a kernel restart, galata's
    // page here sometimes stops answering (new notebooks and the restarted kernel stay
    // "Starting"), which is not this extension's doing; kept out of the default run.
    if (process.env.AIDE_UI_RESUME === '1') {
      // Go on in another notebook: define the data there, Resume moves the search to its kernel.
      // (A fresh notebook, because JupyterLab's connection to a restarted kernel does not come back
      // reliably under galata here: its status stays "Starting".)
      const goodCount = async () =>
        ((await (await page.request.get(`aide/searches/${searchId}`)).json())
          .counts?.good ?? 0) as number;
      const goodBefore = await goodCount();
      await page.notebook.createNew(RESUME_NOTEBOOK);
      await page.notebook.setCell(0, 'code', LOAD_DATA);
      await page.notebook.runCell(0);
      await expect(page.locator('.jp-OutputArea-output').first()).toContainText(
        '569'
      );
      const other = await notebookSession(page, RESUME_NOTEBOOK);
      await page.evaluate(() =>
        (window as any).jupyterapp.commands.execute('aide-jupyter:open-panel')
      );
      await head.getByRole('button', { name: 'Resume' }).click();
      await expect(head).toHaveAttribute('data-status', /running|queued|done/, {
        timeout: 30_000
      });
      await expect(paused).toHaveCount(0);
      expect(
        (await (await page.request.get(`aide/searches/${searchId}`)).json())
          .kernel_id
      ).toBe(other.kernelId);
      await expect
        .poll(goodCount, { timeout: 120_000 })
        .toBeGreaterThan(goodBefore);
      const stop = head.getByRole('button', { name: 'Stop' });
      if (await stop.isVisible()) {
        await stop.click();
      }
      await expect(head).toHaveAttribute('data-status', /stopped|done/, {
        timeout: 60_000
      });
    }

    expect(errors).toEqual([]);
  });
});
