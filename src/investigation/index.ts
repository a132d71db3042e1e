/** Every investigation tool, in the order a model is shown them: adding one is its file and one line here. */
import { configTestTool } from './config-test.js';
import { dependencyStateTool } from './dependency-state.js';
import { journalTool } from './journal.js';
import { listenersTool } from './listeners.js';
import { pathInfoTool } from './path-info.js';
import type { InvestigationTool } from './tool.js';
import { unitPropertiesTool } from './unit-properties.js';

export const INVESTIGATION_TOOLS: readonly InvestigationTool[] = [listenersTool, pathInfoTool, unitPropertiesTool, configTestTool, journalTool, dependencyStateTool];
