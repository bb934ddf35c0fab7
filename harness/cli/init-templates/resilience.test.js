// Resilience drills: each scenario in scenarios/ runs on real containers (Docker) through failover-drill's API.
// Reports (journal.json, index.html per drill) go to reports/. Run one drill: npx jest -t crash
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const { runDrill } = require('failover-drill');

const scenarios = join(__dirname, 'scenarios');
const files = readdirSync(scenarios).filter((f) => f.endsWith('.yaml')).sort();

describe('resilience drills', () => {
  it.each(files)('%s', async (file) => {
    // DRILL_RETRIES=N runs a failed drill up to N more times; a later pass is reported as flaky, not hidden.
    const result = await runDrill(join(scenarios, file), { reportDir: 'reports', retries: Number(process.env.DRILL_RETRIES ?? 0) });
    expect(result).toServeNoWrongAnswers();
    expect(result).toPassDrill();
  });
});
