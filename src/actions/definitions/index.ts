/** Every catalog action: adding one is its file and one line here. */
import type { ActionDefinition } from '../definition.js';
import { restartUnit } from './restart-unit.js';
import { startUnit } from './start-unit.js';
import { reloadUnit } from './reload-unit.js';
import { resetFailed } from './reset-failed.js';
import { restartDependency } from './restart-dependency.js';
import { resumeProcess } from './resume-process.js';
import { killProcessTree } from './kill-process-tree.js';
import { killStrayListener } from './kill-stray-listener.js';
import { removeStaleFile } from './remove-stale-file.js';
import { cleanDirectory } from './clean-directory.js';
import { vacuumJournal } from './vacuum-journal.js';
import { restoreConfig } from './restore-config.js';
import { restoreUnitDefinition } from './restore-unit-definition.js';
import { restorePermissions } from './restore-permissions.js';
import { runPlaybook } from './run-playbook.js';
import { escalate } from './escalate.js';

export const ACTION_DEFINITIONS = [
  restartUnit,
  startUnit,
  reloadUnit,
  resetFailed,
  restartDependency,
  resumeProcess,
  killProcessTree,
  killStrayListener,
  removeStaleFile,
  cleanDirectory,
  vacuumJournal,
  restoreConfig,
  restoreUnitDefinition,
  restorePermissions,
  runPlaybook,
  escalate,
] as const;

export type ActionType = (typeof ACTION_DEFINITIONS)[number]['type'];

const BY_TYPE = new Map<string, ActionDefinition>(ACTION_DEFINITIONS.map((definition) => [definition.type, definition as unknown as ActionDefinition]));

/** The definition of an action type, or undefined for anything else (never a prototype key). */
export function actionDefinition(type: string): ActionDefinition | undefined {
  return BY_TYPE.get(type);
}
