// `failover-drill/jest`: importing it (jest's setupFilesAfterEnv) adds the drill matchers to `expect`, with
// their TypeScript declarations; `globalSetup` prepares the machine once per jest run.
// First: stops with why and the fix when testcontainers cannot load on this Node (undici-check.ts).
import '../undici-guard';
import { drillMatchers } from './matchers';

export { drillMatchers, type DrillOutcome, type MatcherOutcome } from './matchers';
export { default as globalSetup } from './global-setup';

declare global {
  namespace jest {
    interface Matchers<R> {
      /** The drill's verdict is pass: every threshold held and the steady state came back. */
      toPassDrill(): R;
      /** Failover ended (the standby served `steadyCount` good answers in a row) within `ms` of the fault. */
      toFailOverWithin(ms: number): R;
      /** No 2xx answer disagreed with the model version it claimed. */
      toServeNoWrongAnswers(): R;
      /** No request of the load failed. */
      toLoseNoRequests(): R;
    }
  }
}

const jestExpect = (globalThis as { expect?: { extend(matchers: object): void } }).expect;
// Outside jest (a plain import for the types, or the global setup's process) there is no expect to extend.
jestExpect?.extend(drillMatchers);
