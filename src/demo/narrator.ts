/** Tells a newcomer, in sentences, what the daemon does: every task as it opens, is fixed, escalated or recovers. */
import type { Task } from '../core/types.js';

/** One line per change of a task's status, from consecutive listings of the recent tasks. */
export class Narrator {
  private readonly seen = new Map<string, string>();

  constructor(private readonly say: (text: string) => void) {}

  observe(tasks: readonly Task[]): void {
    for (const task of [...tasks].reverse()) {
      const before = this.seen.get(task.id);
      if (before === task.status) continue;
      this.seen.set(task.id, task.status);
      this.say(describe(task, before === undefined));
    }
  }
}

function describe(task: Task, isNew: boolean): string {
  const took = task.durationMs === null ? '' : ` in ${(task.durationMs / 1000).toFixed(1)} s`;
  switch (task.status) {
    case 'fixed':
      return `${task.service}: fixed in phase ${task.fixedByPhase}${took}: ${task.reason ?? ''}`;
    case 'escalated':
      return `${task.service}: escalated to a person: ${(task.reason ?? '').split('\n')[0]}`;
    case 'recovered':
      return `${task.service}: healthy again${took}: ${task.reason ?? ''}`;
    case 'running':
      return `${task.service}: ${isNew ? 'noticed' : 'working on it'}: ${task.message}`;
    default:
      return `${task.service}: ${task.status}: ${task.message}`;
  }
}
