// Toxiproxy as a Testcontainers module: a ToxiproxyContainer / StartedToxiproxyContainer pair. Ours rather than
// @testcontainers/toxiproxy: that module requires testcontainers >= 12.1, whose undici 8 fails at import on
// Node 20, and a package cannot pin its dependencies' dependencies in a user's project (npm `overrides` apply
// only in the root project). It also publishes 32 proxy ports; each published port is a docker-proxy process,
// and removing a container with 32 took 4.3 s of a 4.6 s teardown on 2 cores (about 130 ms a port).
import { AbstractStartedContainer, GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';

export const TOXIPROXY_API_PORT = 8474;
/** Proxies listen on published ports upward from here, in creation order. */
export const FIRST_PROXY_PORT = 8666;

/** A proxy inside the Toxiproxy container and where the host reaches it. */
export interface CreatedProxy {
  host: string;
  port: number;
  instance: Proxy;
  setEnabled: (enabled: boolean) => Promise<Proxy>;
}

export class ToxiproxyContainer extends GenericContainer {
  /** `proxies`: how many proxies the topology creates; only their ports and the API are published. */
  constructor(image: string, private readonly proxies: number) {
    super(image);
    this.withExposedPorts(TOXIPROXY_API_PORT, ...proxyPorts(proxies))
      .withWaitStrategy(Wait.forHttp('/version', TOXIPROXY_API_PORT))
      .withStartupTimeout(30_000);
  }

  override async start(): Promise<StartedToxiproxyContainer> {
    return new StartedToxiproxyContainer(await super.start(), this.proxies);
  }
}

export class StartedToxiproxyContainer extends AbstractStartedContainer {
  readonly client: Toxiproxy;

  constructor(started: StartedTestContainer, private readonly proxies: number) {
    super(started);
    this.client = new Toxiproxy(`http://${this.getHost()}:${this.getMappedPort(TOXIPROXY_API_PORT)}`);
  }

  /** A proxy on the first published port no existing proxy listens on. */
  async createProxy(body: { name: string; upstream: string }): Promise<CreatedProxy> {
    const used = new Set(Object.values(await this.client.getAll()).map((p) => Number(p.listen.split(':').pop())));
    const port = proxyPorts(this.proxies).find((p) => !used.has(p));
    if (port === undefined) throw new Error(`cannot create proxy ${body.name}: all ${this.proxies} published proxy ports (from ${FIRST_PROXY_PORT}) are in use`);
    const listen = `0.0.0.0:${port}`;
    const proxy = await this.client.createProxy({ ...body, listen });
    return {
      host: this.getHost(),
      port: this.getMappedPort(port),
      instance: proxy,
      setEnabled: (enabled) => proxy.update({ enabled, listen, upstream: body.upstream }),
    };
  }
}

const proxyPorts = (count: number): number[] => Array.from({ length: count }, (_, i) => FIRST_PROXY_PORT + i);
