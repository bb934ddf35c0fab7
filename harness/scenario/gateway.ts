// topology.gateway, checked before anything starts: your own gateway's template exists and uses only known
// placeholders, and settings only the reference gateway can honour are refused for the others, as are thresholds
// on what a gateway that names no replica cannot have measured.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PLACEHOLDERS, unknownPlaceholders } from '../topology/gateways/configured';
import type { Report } from './checks';
import type { ScenarioEnvelope } from './schema';

/** Metrics that need to know which replica answered. */
const ATTRIBUTED_METRICS = ['failoverMs', 'failbackMs'];

const placeholderHelp = `allowed: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`;

/** Your own gateway's template: resolved against the scenario file, present, and with known placeholders only. */
function checkTemplate(scenario: ScenarioEnvelope, file: string, report: Report): void {
  const gateway = scenario.topology.gateway;
  if (typeof gateway === 'string') return;
  const config = resolve(dirname(file), gateway.config);
  gateway.config = config;
  if (!existsSync(config)) {
    report(['topology', 'gateway', 'config'], `the template ${config} does not exist`);
    return;
  }
  for (const { line, name } of unknownPlaceholders(readFileSync(config, 'utf8'))) {
    report(['topology', 'gateway', 'config'], `${config}:${line}: unknown placeholder {{${name}}}; ${placeholderHelp}`, false);
  }
  for (const role of ['primary', 'standby'] as const) {
    const value = gateway.servedBy?.[role] ?? '';
    for (const { name } of unknownPlaceholders(value)) report(['topology', 'gateway', 'servedBy', role], `unknown placeholder {{${name}}}; ${placeholderHelp}`);
  }
}

/** What only the reference gateway (services/router) can do, refused for any other with the reason. */
function checkReferenceOnly(scenario: ScenarioEnvelope, report: Report): void {
  const gateway = scenario.topology.gateway;
  if (gateway === 'reference') return;
  const which = typeof gateway === 'string' ? `the ${gateway} preset` : 'your own gateway';
  const inConfig = `${which} is configured by its config file, not by the reference gateway's flags`;
  if (!scenario.gateway.failover) report(['gateway', 'failover'], `cannot be set with ${which}: ${inConfig}`);
  if (scenario.gateway.attemptTimeoutMs !== undefined) report(['gateway', 'attemptTimeoutMs'], `cannot be set with ${which}: ${inConfig} (its timeouts are there)`);
  if (scenario.topology.images?.router !== undefined) report(['topology', 'images', 'router'], `cannot be set with ${which}: topology.images.router is an image of the reference gateway's CLI`);
  if (scenario.load.driver === 'k6') report(['load', 'driver'], `k6 cannot be used with ${which}: the k6 script reads only the reference gateway's x-served-by header`);
}

/** A gateway that names no replica: failover and fail-back cannot be measured, so no threshold may bound them. */
function checkAttribution(scenario: ScenarioEnvelope, report: Report): void {
  const gateway = scenario.topology.gateway;
  if (typeof gateway === 'string' || gateway.servedBy) return;
  scenario.thresholds.forEach(({ metric }, index) => {
    if (ATTRIBUTED_METRICS.includes(metric)) {
      report(['thresholds', index, 'metric'], `"${metric}" needs to know which replica answered, and topology.gateway has no servedBy: add servedBy (a header your gateway sets) or bound another metric`, false);
    }
  });
}

export function checkGateway(scenario: ScenarioEnvelope, file: string, report: Report): void {
  checkTemplate(scenario, file, report);
  checkReferenceOnly(scenario, report);
  checkAttribution(scenario, report);
}
