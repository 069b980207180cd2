import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Base of every route the server extension serves. */
export const API_NAMESPACE = 'aide';

/**
 * An error from the AIDE server extension, with the server's `{error, message}` body when it sent one.
 */
export class AideRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string
  ) {
    super(message);
    this.name = 'AideRequestError';
  }

  /** True when the server part of the extension is not installed or not enabled. */
  get serverExtensionMissing(): boolean {
    return this.status === 404 && this.code === 'server_extension_missing';
  }
}

/** How to fix a missing server extension: shown in the panel. */
export const SERVER_EXTENSION_MISSING =
  'The aide-jupyter server extension is not running in this Jupyter server. ' +
  'Install it in the environment that runs JupyterLab (pip install aide-jupyter), check that ' +
  '`jupyter server extension list` shows "aide_jupyter ... OK" (enable it with ' +
  '`jupyter server extension enable aide_jupyter`), then restart JupyterLab.';

/**
 * Call the server extension and parse its JSON answer.
 *
 * A 404 on the health route means the server part is missing; other errors carry the server's message.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const body = typeof data === 'object' && data !== null ? data : {};
    if (response.status === 404 && !body.error) {
      throw new AideRequestError(
        SERVER_EXTENSION_MISSING,
        404,
        'server_extension_missing'
      );
    }
    throw new AideRequestError(
      body.message ?? `${response.status} ${response.statusText}`,
      response.status,
      body.error ?? 'http_error'
    );
  }
  return data as T;
}
