/**
 * Facts about searches that need no state: their order in the panel, whether they still change,
 * why they paused, and what to say when the server's version does not match the panel's.
 */
import { ISearchSummary } from './tokens';
import { FRONTEND_VERSION } from './version';

/** How to fix a server whose version does not match this panel. */
export function versionMismatchMessage(server: string): string {
  return (
    `The aide-jupyter server extension is version ${server} but this panel is ${FRONTEND_VERSION}. ` +
    'Install one version in the environment that runs JupyterLab (pip install -U aide-jupyter), ' +
    'restart JupyterLab, then reload this page.'
  );
}

/** Order searches: those of the current kernel first, then the others; newest first in each. */
export function orderSearches(
  searches: Iterable<ISearchSummary>,
  kernelId: string | null
): ISearchSummary[] {
  return Array.from(searches).sort((a, b) => {
    const ka = kernelId !== null && a.kernel_id === kernelId ? 0 : 1;
    const kb = kernelId !== null && b.kernel_id === kernelId ? 0 : 1;
    return ka - kb || (b.created ?? 0) - (a.created ?? 0);
  });
}

/** The newest search running on `kernelId`, if any (the one the panel follows by itself). */
export function newestOfKernel(
  searches: Iterable<ISearchSummary>,
  kernelId: string | null
): ISearchSummary | undefined {
  return orderSearches(searches, kernelId).find(
    search => kernelId !== null && search.kernel_id === kernelId
  );
}

/** Was this search paused because its kernel went away (restart, shutdown, death)? */
export function pausedByKernel(search: ISearchSummary): boolean {
  return search.status === 'paused' && search.pause_cause === 'kernel';
}

/** Statuses in which a search still changes (its events matter). */
const ACTIVE_STATUSES: ReadonlySet<string> = new Set([
  'queued',
  'running',
  'stopping'
]);

/** Is the search still changing? */
export function isActive(search: ISearchSummary | null | undefined): boolean {
  return ACTIVE_STATUSES.has(search?.status ?? '');
}
