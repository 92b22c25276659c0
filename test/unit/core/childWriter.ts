// A writer process for crash and concurrency tests: buffers entries as fast as it can and
// prints `ack <id>` for each one only after its promise resolved (i.e. it is durable).
// Usage: node childWriter.js <dir> <agent> <count|forever> [compactEvery]
import { PersistentBuffer } from '../../../src/core/buffer';

async function main(): Promise<void> {
  const [dir, agent, countArg, compactEveryArg] = process.argv.slice(2);
  const count = countArg === 'forever' ? Infinity : Number(countArg);
  const compactEvery = Number(compactEveryArg ?? 0);
  const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 16 * 1024 });
  const payload = 'x'.repeat(300);
  let inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    inFlight.push(
      buffer.bufferContext(agent, { insights: [`${process.pid}-${i}`, payload] }, 'checkpoint').then((entry) => {
        process.stdout.write(`ack ${entry.id}\n`);
      }),
    );
    if (inFlight.length >= 16) {
      await Promise.all(inFlight);
      inFlight = [];
    }
    if (compactEvery && i % compactEvery === compactEvery - 1) await buffer.flush(agent, { compact: true });
  }
  await Promise.all(inFlight);
  await buffer.dispose();
}

main().catch((error) => {
  process.stderr.write(`child writer failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
