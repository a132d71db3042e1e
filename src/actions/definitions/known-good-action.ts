/** What the two restores from the last-known-good state share: the service's own unit, offered once a state is recorded. */
import type { KnownGoodRestorer } from '../definition.js';
import { defineAction, ownUnitOnly, unitParams } from '../definition.js';

export function knownGoodAction<const Type extends string>(type: Type, summary: string, description: string, restore: keyof Omit<KnownGoodRestorer, 'has'>) {
  return defineAction({
    type,
    summary,
    params: unitParams,
    capability: 'definition',
    ownUnit: true,
    scope: ownUnitOnly,
    offer: ({ service }, { hasKnownGood }) => (service.unit && hasKnownGood ? { description, params: { unit: `"${service.unit}"` } } : undefined),
    async run(_params, { knownGood, scope, signal }) {
      if (!knownGood?.has(scope.service.name)) return { ok: false, detail: `no last-known-good state of ${scope.service.name} is recorded` };
      return knownGood[restore](scope.service, signal);
    },
  });
}
