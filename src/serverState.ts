/** What the panel knows of the server extension: there and compatible, missing, or failing. */
import { AideRequestError } from './api';
import { AideClient } from './client';
import { versionMismatchMessage } from './searches';
import { ServerState } from './tokens';
import { compatible } from './version';

/** Ask the server extension for its health; never throws (a failure is a state with the fix). */
export async function checkServer(client: AideClient): Promise<ServerState> {
  try {
    const health = await client.health();
    if (!compatible(health.version)) {
      return { kind: 'error', message: versionMismatchMessage(health.version) };
    }
    return { kind: 'ready', health };
  } catch (error) {
    if (error instanceof AideRequestError && error.serverExtensionMissing) {
      return { kind: 'missing', message: error.message };
    }
    return { kind: 'error', message: (error as Error).message };
  }
}
