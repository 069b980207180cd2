/**
 * Playwright configuration: galata's defaults, Debian's Chromium, and a JupyterLab started on a free
 * port (AIDE_UI_TEST_PORT, chosen by the Makefile) with the extension installed.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.AIDE_UI_TEST_PORT || '8917';

module.exports = {
  ...baseConfig,
  timeout: 120000,
  // One retry: the seed spec's promote-below-the-seed-cell check failed once in three full runs
  // (see the session note); a retry still needs a full pass, and the flake is tracked.
  retries: 1,
  workers: 1,
  reporter: [['list']],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: `http://localhost:${port}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: false
  }
};
