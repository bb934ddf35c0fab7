// Services log one JSON object per line on stdout, so drill reports can quote and filter them.
export type Log = (msg: string, fields?: Record<string, unknown>) => void;

export function jsonLineLog(base: Record<string, unknown>, write: (line: string) => void = (l) => process.stdout.write(l)): Log {
  return (msg, fields = {}) => write(`${JSON.stringify({ time: new Date().toISOString(), ...base, msg, ...fields })}\n`);
}
