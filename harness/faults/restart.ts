import { z } from 'zod';
import { defineReplicaFault } from './fault';
import { modelLoadBudgetMs } from '../topology/model-budget';
import { graceAttribute } from './grace';

/**
 * The new process listens within a second here with the drills' 8 MB model (start-to-ready ~0.5 s), later with a
 * larger one (it listens once its model is verified); later than this, the moment is left out.
 */
const ACCEPTING_AGAIN_WITHIN_MS = 5000;

/**
 * A restart, as after a deploy or an OOM-kill with restart policy: SIGTERM (SIGKILL after `grace`), then start.
 * It takes effect when the old process stops accepting; its port accepts again once the new one listens, and it
 * still has to load and verify its model, which is what the drill measures. Revert only makes sure it runs.
 */
export const restart = defineReplicaFault({
  description: 'restart the target container: SIGTERM, SIGKILL after a grace period, start (revert: nothing left to undo)',
  attributes: z.object({ grace: graceAttribute }).strict(),
  async inject({ target, models }, { grace }) {
    const effect = await target.restartGracefully(grace);
    const withinMs = modelLoadBudgetMs(ACCEPTING_AGAIN_WITHIN_MS, models[target.precision].manifest.bytes);
    return { ...effect, acceptingAgain: target.awaitAccepting(withinMs).then((again) => again?.atMs) };
  },
  revert: ({ target }) => target.startIfStopped(),
});
