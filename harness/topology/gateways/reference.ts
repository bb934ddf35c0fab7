// The reference gateway: services/router in its image. It fails over between the replicas it is given, and
// names the replica that answered in x-served-by.
import { AbstractStartedContainer, GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import type { GatewayKind, GatewayOptions, GatewayRouting, StartedGatewayContainer } from '../parts';
import { REFERENCE_SERVED_BY } from '../served-by';

const PORT = 8080;
const HEALTH_PATH = '/healthz';
/** The router probes the reference model server's GET /readyz unless told another route. */
const REFERENCE_READINESS_PATH = '/readyz';

/** The router's flags for these upstreams and options. */
function routerArgs({ upstreams, readinessPath }: GatewayRouting, options: GatewayOptions): string[] {
  return [
    '--primary', upstreams.primary,
    '--standby', upstreams.standby,
    '--port', String(PORT),
    ...(readinessPath === REFERENCE_READINESS_PATH ? [] : ['--readiness-path', readinessPath]),
    ...(options.attemptTimeoutMs ? ['--attempt-timeout-ms', String(options.attemptTimeoutMs)] : []),
    ...(options.failover ? [] : ['--no-failover']),
    ...(options.answerValidation === false ? ['--no-answer-validation'] : []),
    ...(options.allowedSha256 ? ['--allowed-sha256', options.allowedSha256.join(',')] : []),
    ...(options.args ?? []),
  ];
}

export class ReferenceGatewayContainer extends GenericContainer {
  constructor(image: string) {
    super(image);
    this.withExposedPorts(PORT)
      .withWaitStrategy(Wait.forHttp(HEALTH_PATH, PORT).withReadTimeout(200))
      .withStartupTimeout(30_000);
  }

  /** Where the replicas are (in-network addresses) and how to route between them. */
  withRouting(routing: GatewayRouting, options: GatewayOptions): this {
    return this.withCommand(routerArgs(routing, options));
  }

  override async start(): Promise<StartedReferenceGatewayContainer> {
    return new StartedReferenceGatewayContainer(await super.start());
  }
}

export class StartedReferenceGatewayContainer extends AbstractStartedContainer implements StartedGatewayContainer {
  readonly url: string;
  readonly containerId: string;
  readonly servedBy = REFERENCE_SERVED_BY;
  readonly healthPath = HEALTH_PATH;

  constructor(started: StartedTestContainer) {
    super(started);
    this.url = `http://${started.getHost()}:${started.getMappedPort(PORT)}`;
    this.containerId = started.getId();
  }
}

export const referenceGateway = {
  description: 'services/router: request retry, hedging, circuit breakers, health checks and fail-back, answers checked',
  container: (image: string, routing: GatewayRouting, options: GatewayOptions) => new ReferenceGatewayContainer(image).withRouting(routing, options),
} satisfies GatewayKind;
