'use strict';
// The compiled addon, built by node-gyp at install (build/Release), or by
// `npm run build:native` in a checkout (build/Debug with --debug). CommonJS, so
// it loads synchronously from ES modules through createRequire.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const candidates = ['Release', 'Debug'].map((dir) => join(__dirname, 'build', dir, 'molrl_cpu_native.node'));
const found = candidates.find((path) => existsSync(path));
if (!found) {
  const error = new Error(
    '@molrl/cpu-native: the native addon is not built (no build/Release/molrl_cpu_native.node). ' +
      'It builds at install with node-gyp, which needs python3, make and a C compiler, and npm 11 runs ' +
      'the build only when allowed: `npm pkg set allowScripts.@molrl/cpu-native=true --json`, then ' +
      '`npm rebuild @molrl/cpu-native`.',
  );
  error.code = 'MOLRL_NATIVE_NOT_BUILT';
  throw error;
}
module.exports = require(found);
