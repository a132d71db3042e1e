#!/usr/bin/env -S node --max-semi-space-size=1 --single-threaded
/** The `orchestrator` command: thin commands that parse, call a service, and print. The only place that prints. */
import { buildProgram, reportError } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error);
}
