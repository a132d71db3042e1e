/** This orchestrator's version, from its package.json (build info in the metrics, a fleet host's record). */
import { createRequire } from 'node:module';

export const { version: PACKAGE_VERSION } = createRequire(import.meta.url)('../../package.json') as { version: string };
