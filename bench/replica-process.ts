// A fake replica as a process of its own, so that a benchmark can SIGKILL it as a crash kills a replica: its
// sockets are closed by the kernel, not by the process. `--ballast-mb N` makes it hold N MB more of touched
// memory: a dying process's memory is freed before its sockets are closed, so the heap a replica holds is part of
// how long a crash takes to reach its clients. Prints one JSON line {url} when it listens.
import { parseArgs } from 'node:util';
import type { Role } from '../services/common/contract';
import { startFakeReplica } from '../services/router/fake-replica';

const ballast: Buffer[] = [];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { role: { type: 'string' }, 'ballast-mb': { type: 'string', default: '0' } } });
  const role = values.role as Role;
  if (role !== 'primary' && role !== 'standby') throw new Error(`--role must be primary or standby, got "${values.role}"`);
  const mb = Number(values['ballast-mb']);
  if (!Number.isInteger(mb) || mb < 0) throw new Error(`--ballast-mb must be an integer >= 0, got "${values['ballast-mb']}"`);
  // Filled, not just allocated: untouched pages cost the kernel nothing to free.
  for (let i = 0; i < mb; i += 1) ballast.push(Buffer.alloc(1 << 20, 1));
  const replica = await startFakeReplica(role);
  process.stdout.write(`${JSON.stringify({ url: replica.url })}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
