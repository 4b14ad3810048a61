import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { Backend, TensorInfo } from '../backend.js';

// Never called: what matters is whether these lines compile. Each line under
// an expect-error directive must be an error; if a change lets one compile (an
// index signature on an attrs type, say), TypeScript reports the directive as
// unused and the test below fails.
function calls(backend: Backend, x: TensorInfo): void {
  // @ts-expect-error a misspelled attribute
  backend.run('sum', [x], { axes: [0], keepdims: true });
  // @ts-expect-error a misspelled optional attribute
  backend.run('matmul', [x, x], { transposeb: true });
  // @ts-expect-error an attribute of the wrong type
  backend.run('rmsNorm', [x, x], { eps: '1e-6' });
  // @ts-expect-error a value outside a string union
  backend.run('scalarOp', [x], { op: 'plus', scalar: 1 });
  // @ts-expect-error a required attribute left out
  backend.run('rmsNorm', [x, x]);
  // @ts-expect-error attributes for a kernel that takes none
  backend.run('exp', [x], { axis: 0 });
  // @ts-expect-error a kernel the contract does not have
  backend.run('frobnicate', [x]);
  // Right calls compile.
  backend.run('sum', [x], { axes: [0], keepDims: true });
  backend.run('matmul', [x, x]);
  backend.run('exp', [x]);
  backend.run('attention', [x, x, x], { scale: 0.5, causal: true, queryOffset: 3 });
}
void calls;

describe('typed run', () => {
  it('makes a misspelled, mistyped or missing attribute a compile error', () => {
    const here = fileURLToPath(import.meta.url);
    const configPath = join(dirname(here), '..', '..', 'tsconfig.json');
    const config = ts.getParsedCommandLineOfConfigFile(
      configPath,
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    );
    if (!config) throw new Error(`cannot read ${configPath}`);
    const program = ts.createProgram([here], config.options);
    const diagnostics = ts
      .getPreEmitDiagnostics(program, program.getSourceFile(here))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  }, 120_000);
});
