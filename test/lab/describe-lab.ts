/** Registers lab suites: `describe` where a systemd lab can boot, otherwise a skip that says why. */
import { describe } from 'vitest';
import { labAvailability } from './systemd-lab.js';

export type LabDescribe = (name: string, fn: () => void) => void;

let skipWarned = false;

/**
 * `describe` when a lab can be booted; otherwise registers the suite as skipped
 * and prints the reason once (console.warn) so a skip is never silent.
 */
export const describeLab: LabDescribe = (() => {
  const availability = labAvailability();
  if (availability.ok) return describe as LabDescribe;
  const reason = availability.reason;
  return (name: string, fn: () => void) => {
    if (!skipWarned) {
      skipWarned = true;
      console.warn(`systemd lab tests skipped: ${reason}`);
    }
    describe.skip(name, fn);
  };
})();
