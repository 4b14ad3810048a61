import ivm from 'isolated-vm';
import { JsRunner } from './src/javascript/js-runner.ts';
import { DEFAULT_LIMITS } from './src/limits.ts';
const code = 'const xs = Array.from({ length: 20 }, (_, j) => j * j);\nconst total = xs.reduce((a, b) => a + b, 0);\nconsole.log(total);';
async function measure(name: string, n: number, concurrency: number, f: () => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await f();
  const cpu0 = process.cpuUsage(); const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => { for (let i = 0; i < n / concurrency; i++) await f(); }));
  const wall = performance.now() - t0; const cpu = process.cpuUsage(cpu0);
  console.log(name, (n / wall * 1000).toFixed(0), '/s', 'cpu%', ((cpu.user + cpu.system) / 1000 / wall * 100).toFixed(0));
}
const r1 = new JsRunner(), r2 = new JsRunner();
await measure('runner x1', 2000, 1, () => r1.run(code, DEFAULT_LIMITS, undefined));
let k = 0;
await measure('runner x2', 4000, 2, () => (k++ % 2 ? r1 : r2).run(code, DEFAULT_LIMITS, undefined));
// 3-hop variant
const iso = new ivm.Isolate({ memoryLimit: 128 });
const pre = iso.compileScriptSync(`(function(){ let out=''; globalThis.console={log:(...a)=>{out+=a.join(' ')+'\\n'}}; const ev = eval; return function run(code){ try { ev(code); } catch (e) { return JSON.stringify({out, err: String(e)}); } return JSON.stringify({out}); }; })()`);
await measure('3-hop x1', 2000, 1, async () => { const ctx = await iso.createContext(); const fn = await pre.run(ctx, { reference: true }) as ivm.Reference; const r = await fn.apply(undefined, [code], { arguments: { copy: true }, result: { copy: true }, timeout: 1000 }); fn.release(); ctx.release(); return r; });
r1.dispose(); r2.dispose(); iso.dispose();
