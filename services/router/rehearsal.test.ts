import { rehearseFailover } from './rehearsal';

describe('rehearseFailover', () => {
  // The rehearsal is only worth its startup time if it really takes the gateway through each way of failing
  // over: a change that quietly stopped one (a breaker that opens too early, say) would leave that path cold.
  it('takes a gateway through retry, hedge, open breaker and 503, and leaves nothing running', async () => {
    const seen = await rehearseFailover();
    const outcome = Object.fromEntries(seen.filter((s) => s.failure !== 'none').map((s) => [s.failure, `${s.status} ${s.failover ?? '-'}`]));
    expect(outcome).toEqual({
      v2_none: '200 none',
      v2_invalid_body: '200 retry',
      wrong_model: '200 retry',
      server_error: '200 retry',
      invalid_body: '200 retry',
      slow: '200 hedge',
      silent: '200 hedge',
      reset: '200 retry',
      breaker_open: '200 breaker',
      crash: '200 retry',
      last_resort_silent: '503 -',
      both_down: '503 -',
      both_breakers_open: '503 -',
    });
    expect(seen.filter((s) => s.failure === 'none').every((s) => s.status === 200 && s.failover === 'none')).toBe(true);
  });
});
