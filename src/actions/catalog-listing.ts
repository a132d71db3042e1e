/** The catalog as people and the dashboard read it: each action's summary, parameters and needed capability. */
import { z } from 'zod/v4';
import { ACTION_DEFINITIONS } from './definitions/index.js';

export interface CatalogListing {
  type: string;
  summary: string;
  /** Parameter names with their JSON type; `unit` may be left out of a human's --fix (the task's own unit). */
  params: Record<string, string>;
  /** The adapter capability it needs, if any. */
  capability: string | null;
  /** Whether the executor can run it (false: recorded only, never offered or learned). */
  executable: boolean;
  /** The unit may be left out of --fix. */
  ownUnit: boolean;
}

export function catalogListing(): CatalogListing[] {
  return ACTION_DEFINITIONS.map((definition) => {
    const schema = z.toJSONSchema(definition.params, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { type?: string }> };
    return {
      type: definition.type,
      summary: definition.summary,
      params: Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, property]) => [name, property.type ?? 'string'])),
      capability: definition.capability ?? null,
      executable: definition.executable !== false,
      ownUnit: definition.ownUnit === true,
    };
  });
}

/** How a human writes the action as a --fix: restart_unit, or remove_stale_file:path=… */
export function fixTemplate(listing: CatalogListing): string {
  const required = Object.keys(listing.params).filter((name) => !(listing.ownUnit && name === 'unit') && !(listing.type === 'escalate'));
  return required.length === 0 ? listing.type : `${listing.type}:${required.map((name) => `${name}=`).join(',')}`;
}
