import { buildDemoSchema } from './schema';
import { demoSchemaSdl } from './schemaSource';
import type { Logger } from '../../core/logger';
import { DemoStore } from './server';

export { DemoStore };

/** Starts the demo store the app uses with `--demo` (or the setting), on loopback, with the bundled schema. */
export function startDemoStore(options: { storeCode: string; mmExtensions: boolean; logger?: Logger }): Promise<DemoStore> {
  return DemoStore.start({
    schema: buildDemoSchema(demoSchemaSdl, { mmExtensions: options.mmExtensions }),
    storeCode: options.storeCode,
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
