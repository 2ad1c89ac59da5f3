import { startServiceHost, type ServiceHost } from '../../src/main/app/host';
import { createServices, type Services } from '../../src/main/app/services';
import type { AppConfig } from '../../src/main/app/config';
import { ProcessSecretStore } from '../../src/main/settings/secretStore';

function testConfig(userDataDir: string, overrides: Partial<AppConfig>): AppConfig {
  return { userDataDir, mode: 'bridge', version: '0.0.0-test', createSecretStore: () => new ProcessSecretStore(undefined), ...overrides };
}

/** Builds the real services on a real SQLite file in `userDataDir`, as the bridge does. */
export function startServices(userDataDir: string, overrides: Partial<AppConfig> = {}): Promise<Services> {
  return createServices(testConfig(userDataDir, overrides));
}

/** The services behind a host, as the bridge and the desktop shell run them (a restore restarts them in place). */
export function startHost(userDataDir: string, overrides: Partial<AppConfig> = {}): Promise<ServiceHost> {
  return startServiceHost(testConfig(userDataDir, overrides));
}
