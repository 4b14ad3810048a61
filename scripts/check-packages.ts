/**
 * Checks what every published package's package.json promises a consumer: metadata, a
 * LICENSE identical to the repository's, an exports map whose in-repo TypeScript
 * condition is `@molrl/source` (never a bare `source`, which a consumer may set), the
 * files that ship, and a README with an install section, a runnable example and an API.
 * Run by `npm run lint`; `scripts/consumer-check.sh` checks the packed result.
 *
 *   node --import tsx scripts/check-packages.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const REPOSITORY = 'git+https://github.com/molrl/molrl.git';
const SOURCE_CONDITION = '@molrl/source';
const TEST_EXCLUSIONS = ['!src/**/*.test.ts', '!src/**/*.test-util.ts', '!src/**/test-util', '!src/**/fixtures'];

type Json = Record<string, unknown>;
const problems: string[] = [];
const readJson = (path: string): Json => JSON.parse(readFileSync(path, 'utf8')) as Json;
const license = readFileSync(join(root, 'LICENSE'), 'utf8');

function checkExports(where: string, exportsMap: unknown): void {
  if (!exportsMap || typeof exportsMap !== 'object') return void problems.push(`${where}: no "exports" map`);
  for (const [subpath, target] of Object.entries(exportsMap as Json)) {
    if (typeof target === 'string') continue;
    const conditions = Object.keys(target as Json);
    // A CommonJS file (a native addon's loader) has no TypeScript source: its declarations, then the file.
    if (Object.values(target as Json).some((file) => typeof file === 'string' && file.endsWith('.cjs'))) {
      if (conditions[0] !== 'types' || !conditions.includes('default'))
        problems.push(
          `${where}: exports["${subpath}"] is a CommonJS file: list "types" first, then "default" (got ${conditions.join(', ')})`,
        );
      continue;
    }
    if (conditions.includes('source'))
      problems.push(`${where}: exports["${subpath}"] has a bare "source" condition; name it "${SOURCE_CONDITION}"`);
    if (conditions[0] !== SOURCE_CONDITION || !conditions.includes('types') || !conditions.includes('import'))
      problems.push(
        `${where}: exports["${subpath}"] must list "${SOURCE_CONDITION}" first, then "types" and "import" (got ${conditions.join(', ')})`,
      );
  }
}

function checkPackage(dir: string): void {
  const where = `packages/${dir}/package.json`;
  const pkg = readJson(join(root, where));
  const need = (ok: unknown, what: string) => {
    if (!ok) problems.push(`${where}: ${what}`);
  };
  need(typeof pkg.name === 'string' && pkg.name.startsWith('@molrl/'), 'name must be @molrl/<name>');
  need(typeof pkg.description === 'string' && pkg.description.length > 0, 'no "description"');
  need(Array.isArray(pkg.keywords) && pkg.keywords.length > 0, 'no "keywords"');
  need(pkg.license === 'Apache-2.0', '"license" must be Apache-2.0');
  need(
    pkg.homepage === `https://github.com/molrl/molrl/tree/main/packages/${dir}#readme`,
    '"homepage" is not its README',
  );
  need((pkg.bugs as Json | undefined)?.url === 'https://github.com/molrl/molrl/issues', 'no "bugs.url"');
  const repository = pkg.repository as Json | undefined;
  need(
    repository?.type === 'git' && repository.url === REPOSITORY && repository.directory === `packages/${dir}`,
    `"repository" must be { type: git, url: ${REPOSITORY}, directory: packages/${dir} }`,
  );
  need(typeof (pkg.engines as Json | undefined)?.node === 'string', 'no "engines.node"');
  need((pkg.publishConfig as Json | undefined)?.access === 'public', '"publishConfig.access" must be public');
  need(pkg.type === 'module', '"type" must be module');
  checkExports(where, pkg.exports);
  const files = Array.isArray(pkg.files) ? (pkg.files as string[]) : [];
  for (const entry of ['dist', 'README.md', 'LICENSE', ...TEST_EXCLUSIONS])
    need(files.includes(entry), `"files" must include ${JSON.stringify(entry)}`);
  const licensePath = join(root, 'packages', dir, 'LICENSE');
  need(existsSync(licensePath) && readFileSync(licensePath, 'utf8') === license, 'LICENSE missing or not the root one');
  const tsconfig = join(root, 'packages', dir, 'tsconfig.json');
  if (existsSync(tsconfig)) {
    const conditions = ((readJson(tsconfig).compilerOptions as Json | undefined)?.customConditions ?? []) as string[];
    need(
      conditions.length === 1 && conditions[0] === SOURCE_CONDITION,
      `tsconfig.json customConditions must be ["${SOURCE_CONDITION}"]`,
    );
  }
  const readmePath = join(root, 'packages', dir, 'README.md');
  const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
  need(readme.startsWith(`# ${String(pkg.name)}\n`), `README.md must start with "# ${String(pkg.name)}"`);
  need(/^## Install$/m.test(readme), 'README.md has no "## Install" section');
  need(/^```ts example$/m.test(readme), 'README.md has no example (a ```ts example block, run by consumer-check)');
  need(/^## API$/m.test(readme), 'README.md has no "## API" section');
  const deps = { ...(pkg.dependencies as Json), ...(pkg.peerDependencies as Json) };
  if ('isolated-vm' in deps || '@molrl/sandbox-reward' in deps || '@molrl/trace-dataset' in deps)
    need(readme.includes('allowScripts'), 'README.md must give the allowScripts snippet isolated-vm needs (npm 11)');
}

for (const dir of readdirSync(join(root, 'packages')).sort()) {
  if (!existsSync(join(root, 'packages', dir, 'package.json'))) continue;
  if (readJson(join(root, 'packages', dir, 'package.json')).private === true) continue;
  checkPackage(dir);
}
for (const dir of readdirSync(join(root, 'examples')).sort()) {
  const tsconfig = join(root, 'examples', dir, 'tsconfig.json');
  if (!existsSync(tsconfig)) continue;
  const conditions = ((readJson(tsconfig).compilerOptions as Json | undefined)?.customConditions ?? []) as string[];
  if (conditions.includes('source'))
    problems.push(`examples/${dir}/tsconfig.json: customConditions names "source"; use "${SOURCE_CONDITION}"`);
}

// A script or test still asking Node for the old condition name would silently run the
// built dist/ (possibly stale) instead of the sources.
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0');
for (const file of tracked) {
  if (!/\.(ts|js|mjs|cjs|sh|json|md)$/.test(file) || file.includes('fixtures/') || file === 'package-lock.json')
    continue;
  // A tracked file deleted in the working tree (not yet committed) has nothing to check.
  if (!existsSync(join(root, file))) continue;
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (/(--conditions[= ]|-C )source\b/.test(line))
      problems.push(`${file}:${i + 1}: the condition is "${SOURCE_CONDITION}", not "source"`);
  });
}

if (problems.length) {
  console.error(`check-packages: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('check-packages: every package is complete');
