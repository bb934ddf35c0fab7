import { ownerAlive } from './cleanup';

describe('ownerAlive (which leftovers the sweep of dead runs spares)', () => {
  it('checks a run of this host by its pid', () => {
    expect(ownerAlive(`this-host:${process.pid}`, 'this-host')).toBe(true);
    // Pids are below 2^22 on Linux: this one runs nothing.
    expect(ownerAlive('this-host:4194304999', 'this-host')).toBe(false);
  });

  it('spares a run of another machine on a shared engine: its process cannot be checked from here', () => {
    expect(ownerAlive('ci-runner-b:4242', 'this-host')).toBe(true);
  });

  it('treats a missing or malformed owner as dead', () => {
    expect(ownerAlive(undefined, 'this-host')).toBe(false);
    expect(ownerAlive('', 'this-host')).toBe(false);
    expect(ownerAlive('this-host', 'this-host')).toBe(false);
  });
});
