import { Command } from 'commander';
import { closeOnSignals, errorMessage, jsonLineLog, type Log, runServiceProcess } from '../common/cli';
import { addSettings, settingsFrom } from '../common/settings';
import { ROUTER_SETTINGS } from './options';
import { rehearseFailover } from './rehearsal';
import { startRouter } from './server';

const log = jsonLineLog({ service: 'router' });

/** `router`: the failover gateway as a CLI, standalone or mounted as `drill serve router`. */
export function routerCommand(): Command {
  const command = new Command('router').description('Run the failover gateway in front of a primary and a standby inference replica.');
  return addSettings(command, ROUTER_SETTINGS).action(async () => {
    const { failoverRehearsal, ...settings } = settingsFrom(ROUTER_SETTINGS, command.opts());
    if (failoverRehearsal) await rehearse(log);
    const router = await startRouter({
      ...settings,
      onStateChange: (change) => log(`breaker ${change.breaker}`, { level: change.breaker === 'open' ? 'warn' : 'info', ...change }),
    });
    const { primary, standby, failover, panicRouting, hedging } = settings;
    log('router listening', { url: router.url, primary, standby, failover, panicRouting, hedging });
    closeOnSignals(router, log);
  });
}

/** See rehearseFailover; a rehearsal that cannot run (no loopback, say) costs the first failover a few ms, nothing else. */
async function rehearse(log: Log): Promise<void> {
  const started = performance.now();
  try {
    const answers = await rehearseFailover();
    log('failover rehearsed', { ms: Math.round(performance.now() - started), requests: answers.length });
  } catch (e) {
    log('failover rehearsal failed; starting without it', { level: 'warn', error: errorMessage(e) });
  }
}

if (require.main === module) runServiceProcess(routerCommand(), log);
