// scenarios/schema.json is generated from the zod schema, so editors and the loader agree on one source.
import { z } from 'zod';
import { FAULTS, FAULT_NAMES } from '../faults';
import { scenarioSchema } from './schema';

export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as unknown as Record<string, unknown> & {
    properties: { faults: { items: { properties: Record<string, Record<string, unknown>> } } };
  };
  // The envelope takes any fault name (the loader checks it in a second step); editors get the list.
  const fault = schema.properties.faults.items.properties.fault as Record<string, unknown>;
  fault.enum = FAULT_NAMES;
  fault.description = FAULT_NAMES.map((name) => `${name}: ${FAULTS[name].description}`).join('\n');
  return { title: 'failover-drill scenario', ...schema };
}

export const renderScenarioJsonSchema = (): string => `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
