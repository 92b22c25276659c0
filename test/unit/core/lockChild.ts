// A process that takes the agent lock, for the lock tests.
// - `hold <dir> <agent>`: takes it through the core (withAgentLock), prints `held`, waits forever
//   (the test SIGKILLs it);
// - `hammer <dir> <agent> <stopFile> <log> <core|lean>`: takes it again and again until
//   `stopFile` exists, through the core or the hook path's writer, and appends `in <pid>` and
//   `out <pid>` to `log` inside, with a pause of up to 4 ms between two takes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acquireLockDir, releaseLockDir } from '../../../src/core/hookWriter';
import { withAgentLock } from '../../../src/core/lock';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const [mode, dir, agent, stopFile, log, via] = process.argv.slice(2);
  if (mode === 'hold') {
    await withAgentLock(dir, agent, undefined, async () => {
      process.stdout.write('held\n');
      await new Promise(() => setInterval(() => undefined, 1000));
    });
    return;
  }
  const critical = async () => {
    fs.appendFileSync(log, `in ${process.pid}\n`);
    await sleep(Math.random() < 0.5 ? 0 : 2);
    fs.appendFileSync(log, `out ${process.pid}\n`);
  };
  const lockDir = path.join(dir, `${agent}.json.lock`);
  while (!fs.existsSync(stopFile)) {
    if (via === 'lean') {
      await acquireLockDir(lockDir, dir, Date.now() + 30_000);
      try {
        await critical();
      } finally {
        await releaseLockDir(lockDir);
      }
    } else {
      await withAgentLock(dir, agent, undefined, critical);
    }
    // A moment before taking it again, as any real writer has between two compactions or two
    // hook runs. Without it a process that just released takes the lock back within microseconds,
    // and under load (CI's suites in parallel) a waiter in its backoff could miss every free
    // moment for 10 s and give up: starvation of this loop, not a lock held by the dead.
    await sleep(Math.random() * 4);
  }
}

main().catch((error) => {
  process.stderr.write(`lock child failed: ${(error as Error).message}\n`);
  process.exit(1);
});
