import { createServices, type Services } from '../../src/main/app/services';
import type { AppConfig } from '../../src/main/app/config';
import { ProcessSecretStore } from '../../src/main/settings/secretStore';

/** Builds the real services on a real SQLite file in `userDataDir`, as the bridge does. */
export function startServices(userDataDir: string, overrides: Partial<AppConfig> = {}): Promise<Services> {
  return createServices({
    userDataDir,
    mode: 'bridge',
    version: '0.0.0-test',
    createSecretStore: () => new ProcessSecretStore(undefined),
    ...overrides,
  });
}
