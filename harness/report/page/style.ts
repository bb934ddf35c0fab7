// The report pages' stylesheet (uPlot's own is inlined beside it).
export const STYLE = `
:root { --pass: #15803d; --fail: #b91c1c; --error: #7c3aed; --muted: #64748b; --line: #e2e8f0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #0f172a; background: #f8fafc; }
main { max-width: 1200px; margin: 0 auto; padding: 0 24px 48px; }
header { border-top: 8px solid var(--verdict); background: #fff; border-bottom: 1px solid var(--line); margin-bottom: 20px; }
header .inner { max-width: 1200px; margin: 0 auto; padding: 16px 24px; }
.pass { --verdict: var(--pass); } .fail { --verdict: var(--fail); } .error { --verdict: var(--error); }
h1 { font-size: 24px; margin: 0 0 4px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; background: var(--verdict); font-weight: 700; letter-spacing: .04em; font-size: 14px; }
.badge.small { font-size: 11px; padding: 1px 6px; }
.desc { margin: 4px 0 8px; max-width: 90ch; }
.meta { color: var(--muted); font-size: 12.5px; }
.meta span + span::before { content: ' · '; }
.why { margin: 10px 0 0; padding: 8px 12px; border-left: 4px solid var(--verdict); background: #fef2f2; font-weight: 600; }
.pass .why { background: #f0fdf4; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 20px; font-weight: 650; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
.caption { color: var(--muted); font-size: 12.5px; margin: 6px 0 0; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f1f5f9; font-weight: 600; font-size: 12.5px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.failed td { background: #fef2f2; }
tr.flaky td { background: #fffbeb; }
ul.attempts { margin: 4px 0 0; padding-left: 18px; font-size: 12.5px; }
.ok { color: var(--pass); font-weight: 700; } .bad { color: var(--fail); font-weight: 700; }
.share { display: flex; height: 8px; width: 140px; border-radius: 2px; overflow: hidden; background: var(--line); margin-top: 3px; }
code, pre { font: 12px/1.4 ui-monospace, 'SFMono-Regular', Menlo, monospace; }
pre { background: #0f172a; color: #e2e8f0; padding: 10px; border-radius: 4px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 4px 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: baseline; }
a { color: #1d4ed8; }
#timeline { width: 100%; }
.uplot { font-family: inherit; }
`;
