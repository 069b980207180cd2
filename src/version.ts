/** This frontend's version; kept equal to package.json's (a jest test checks it). */
export const FRONTEND_VERSION = '0.1.0';

/** Same major and minor: the REST shapes and events the panel expects are those of the server. */
export function compatible(
  serverVersion: string,
  frontend = FRONTEND_VERSION
): boolean {
  const majorMinor = (v: string) => v.split(/[.+-]/).slice(0, 2).join('.');
  return majorMinor(serverVersion) === majorMinor(frontend);
}
