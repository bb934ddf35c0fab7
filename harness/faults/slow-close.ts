import { duration } from '../scenario/duration';
import { toxicFault } from './toxic';

/** Connections linger for `delay` before closing: a peer that holds sockets (and pool slots) open. */
export const slowClose = toxicFault('slow_close', 'delay closing connections through the target\'s proxy (Toxiproxy slow_close toxic)',
  { delay: duration },
  ({ delay }) => ({ delay }));
