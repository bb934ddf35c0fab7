import { z } from 'zod';
import { defineFault } from './fault';

/** The target becomes unreachable: its proxy is disabled, so new connections are refused and open ones close. */
export const partition = defineFault({
  description: 'cut the network path to the target (Toxiproxy proxy disabled)',
  attributes: z.object({}).strict(),
  async inject({ target }) {
    await target.proxy.setEnabled(false);
  },
  async revert({ target }) {
    await target.proxy.setEnabled(true);
  },
});
