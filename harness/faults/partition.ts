import { z } from 'zod';
import { whenAnswered } from '../topology/effect';
import { defineFault } from './fault';
import { probeThroughProxy } from './probe';

/** The target becomes unreachable: its proxy is disabled, so new connections are refused and open ones close. */
export const partition = defineFault({
  description: 'cut the network path to the target (Toxiproxy proxy disabled)',
  attributes: z.object({}).strict(),
  // Toxiproxy closes the proxy's listener and its connections before it answers.
  inject: ({ target }) => whenAnswered('the Toxiproxy API answered that the proxy is disabled', () => target.proxy.setEnabled(false)),
  async verify({ target }) {
    const probe = await probeThroughProxy(target, 1000);
    return probe.answered ? 'a probe through the disabled proxy was answered' : undefined;
  },
  async revert({ target }) {
    await target.proxy.setEnabled(true);
  },
});
