/**
 * Median latency of each task, the tasks interleaved over several rounds so
 * that a load change on a shared machine hits them alike (each task runs once
 * first as a warm-up). For comparisons whose ratio is the figure.
 */
import { Bench } from 'tinybench';

export async function timeInterleaved(
  tasks: Record<string, () => Promise<unknown>>,
  rounds: number,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(tasks).map((k) => [k, []]));
  for (const fn of Object.values(tasks)) await fn();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(tasks)) {
      const bench = new Bench({ time: 0, iterations: 1, warmupIterations: 0 });
      bench.add(name, fn);
      await bench.run();
      const result = bench.tasks[0]!.result;
      if (result.state !== 'completed') throw new Error(`${name}: benchmark ${result.state}`);
      samples[name]!.push(result.latency.p50);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
}
