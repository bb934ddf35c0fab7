import type { RequestRecord } from '../measure/records';
import { loadShortfall } from './open-load';

const sent = (n: number, lag: (i: number) => number = () => 1): RequestRecord[] =>
  Array.from({ length: n }, (_, i) => ({ seq: i, request: 0, scheduledMs: 5 * i, sentMs: 5 * i + lag(i), doneMs: 5 * i + lag(i) + 2, status: 200 }));

it('accepts a load that went out on schedule', () => {
  expect(loadShortfall(sent(1000), 1000)).toBeUndefined();
  expect(loadShortfall(sent(1000, (i) => (i < 10 ? 150 : 1)), 1000)).toBeUndefined(); // 1% late is tolerated
});

it('refuses a load that was cut short or fell behind its schedule', () => {
  expect(loadShortfall(sent(900), 1000)).toBe('only 900 of 1000 scheduled requests were sent');
  expect(loadShortfall(sent(1000, (i) => (i < 11 ? 150 : 1)), 1000)).toMatch(/^11 of 1000 requests went out more than 100 ms after their slot/);
});
