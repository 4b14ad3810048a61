// The compiled addon's functions (declared in src/addon.ts); loading it throws
// MOLRL_NATIVE_NOT_BUILT when the binary was never built.
import type { NativeAddon } from './dist/addon.js';

declare const addon: NativeAddon;
export = addon;
