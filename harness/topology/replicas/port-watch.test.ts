import { createServer, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { firstChange, watchPort, type Attempt, type PortAddress } from './port-watch';

const a = (startedMs: number, endedMs: number, outcome: Attempt['outcome']): Attempt => ({ startedMs, endedMs, outcome });

describe('firstChange', () => {
  it('places a refusal at the refused attempt\'s end, no earlier than the last accepted attempt\'s start', () => {
    const attempts = [a(0, 0.2, 'accepted'), a(1.3, 1.5, 'accepted'), a(2.6, 2.8, 'refused')];
    expect(firstChange(attempts, 'refusing', 0, 'm')).toEqual({ atMs: 2.8, resolutionMs: 2.8 - 1.3, method: 'm' });
  });

  it('does not move the lower bound for an attempt that got no answer either way', () => {
    const attempts = [a(0, 0.2, 'accepted'), a(1.3, 51.3, 'no-answer'), a(52.4, 52.6, 'refused')];
    expect(firstChange(attempts, 'refusing', 0, 'm')?.resolutionMs).toBeCloseTo(52.6);
  });

  it('bounds a change seen at once by the moment watching began', () => {
    expect(firstChange([a(5, 5.3, 'refused')], 'refusing', 2, 'm')).toEqual({ atMs: 5.3, resolutionMs: 3.3, method: 'm' });
  });

  it('sees a port accept again after refusals and silence', () => {
    const attempts = [a(0, 0.1, 'refused'), a(1, 51, 'no-answer'), a(52, 52.4, 'accepted')];
    expect(firstChange(attempts, 'accepting', 0, 'm')).toEqual({ atMs: 52.4, resolutionMs: 52.4 - 1, method: 'm' });
  });

  it('is undefined when the wanted state never showed', () => {
    expect(firstChange([a(0, 0.1, 'accepted')], 'refusing', 0, 'm')).toBeUndefined();
  });
});

describe('watchPort on a real socket', () => {
  let server: Server;
  let address: PortAddress;
  beforeEach(async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = { host: '127.0.0.1', port: (server.address() as { port: number }).port };
  });
  afterEach(() => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())));

  it('sees the port refuse within a few ms of the listener closing', async () => {
    const since = performance.now();
    const watch = watchPort(Promise.resolve(address), 'refusing', since, 5000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const closedMs = performance.now();
    server.close();
    const effect = await watch.settle(1000);
    expect(effect?.method).toContain(`127.0.0.1:${address.port} was refused`);
    expect(effect!.atMs).toBeGreaterThanOrEqual(closedMs);
    // The listener closed within the effect's bounds.
    expect(effect!.atMs - effect!.resolutionMs).toBeLessThanOrEqual(closedMs);
    // Probed every ms; loose for a busy machine, far from the watch's 5 s deadline.
    expect(effect!.atMs - closedMs).toBeLessThan(250);
  });

  it('sees nothing while the port keeps accepting, and stops when settled', async () => {
    const watch = watchPort(Promise.resolve(address), 'refusing', performance.now(), 5000);
    const settled = performance.now();
    expect(await watch.settle(30)).toBeUndefined();
    expect(performance.now() - settled).toBeLessThan(1000);
  });

  it('sees nothing when the address cannot be read', async () => {
    expect(await watchPort(Promise.reject(new Error('gone')), 'refusing', performance.now(), 5000).settle(10)).toBeUndefined();
  });
});
