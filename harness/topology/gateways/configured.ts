// A gateway configured by a file: any image (nginx, HAProxy, Caddy, Envoy, your own) whose config is rendered
// from a template with the replicas' upstream addresses and mounted into the container. The presets are this
// with a config from the repository; the scenario's long form is this with the user's own.
import { readFileSync } from 'node:fs';
import { AbstractStartedContainer, GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { InfrastructureError } from '../../errors';
import type { GatewayKind, GatewayRouting, ServedBy, StartedGatewayContainer } from '../parts';

export interface ConfiguredGatewaySpec {
  /** The config template (absolute path); `{{name}}` placeholders are filled in, see PLACEHOLDERS. */
  config: string;
  /** Where the rendered config goes in the container. */
  configPath: string;
  /** The container's command; default: the image's own. */
  command?: readonly string[];
  /** The port it listens on inside the network. */
  port: number;
  /** Path that answers 200 once it serves: the harness waits on it before the drill. */
  health: string;
  /** Which replica answered (values may hold placeholders); absent: the gateway names none. */
  servedBy?: ServedBy;
}

export const PLACEHOLDERS = ['primaryHost', 'primaryPort', 'standbyHost', 'standbyPort', 'listenPort', 'readinessPath'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Unknown placeholders in a template, with their 1-based line. */
export function unknownPlaceholders(text: string): { line: number; name: string }[] {
  return text.split('\n').flatMap((line, i) =>
    [...line.matchAll(PLACEHOLDER)].map((m) => m[1] as string).filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name)).map((name) => ({ line: i + 1, name })));
}

export function render(text: string, values: Record<Placeholder, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => values[name as Placeholder] ?? whole);
}

function placeholderValues(routing: GatewayRouting, port: number): Record<Placeholder, string> {
  const { primary, standby } = routing.upstreams;
  const [p, s] = [new URL(primary), new URL(standby)];
  return { primaryHost: p.hostname, primaryPort: p.port, standbyHost: s.hostname, standbyPort: s.port, listenPort: String(port), readinessPath: routing.readinessPath };
}

export class ConfiguredGatewayContainer extends GenericContainer {
  constructor(image: string, private readonly spec: ConfiguredGatewaySpec, private readonly values: Record<Placeholder, string>) {
    super(image);
    this.withExposedPorts(spec.port)
      .withCopyContentToContainer([{ content: render(readFileSync(spec.config, 'utf8'), values), target: spec.configPath }])
      .withWaitStrategy(Wait.forHttp(spec.health, spec.port).withReadTimeout(200))
      // Every gateway here is ready in about a second; a wrong port or a bad config would otherwise wait a minute.
      .withStartupTimeout(15_000);
    if (spec.command) this.withCommand([...spec.command]);
  }

  override async start(): Promise<StartedConfiguredGatewayContainer> {
    try {
      const servedBy = this.spec.servedBy && { header: this.spec.servedBy.header.toLowerCase(), primary: render(this.spec.servedBy.primary, this.values), standby: render(this.spec.servedBy.standby, this.values) };
      return new StartedConfiguredGatewayContainer(await super.start(), this.spec.port, servedBy, this.spec.health);
    } catch (cause) {
      throw new InfrastructureError(
        `gateway ${this.imageName.string} did not answer GET ${this.spec.health} on port ${this.spec.port} (config ${this.spec.config} at ${this.spec.configPath}): ${(cause as Error).message}; check that it listens on that port and that its config is valid`,
        { cause },
      );
    }
  }
}

export class StartedConfiguredGatewayContainer extends AbstractStartedContainer implements StartedGatewayContainer {
  readonly url: string;
  readonly containerId: string;

  constructor(started: StartedTestContainer, port: number, readonly servedBy: ServedBy | undefined, readonly healthPath: string) {
    super(started);
    this.url = `http://${started.getHost()}:${started.getMappedPort(port)}`;
    this.containerId = started.getId();
  }
}

/** A gateway kind from its config. It takes no GatewayOptions: those are the reference gateway's flags, refused for these at validation. */
export const configuredGateway = (description: string, spec: ConfiguredGatewaySpec): GatewayKind => ({
  description,
  container: (image: string, routing: GatewayRouting) => new ConfiguredGatewayContainer(image, spec, placeholderValues(routing, spec.port)),
});
