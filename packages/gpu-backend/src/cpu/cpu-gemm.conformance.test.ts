import { describeConformance } from '../conformance/vitest.js';

// The two GEMMs against each other: every kernel's cases on a cpu backend that
// multiplies on WebAssembly, compared with the reference cpu backend, which
// multiplies on the native GEMM where @molrl/cpu-native is built (else on
// WebAssembly too). matmul, attention and their gradients run through both.
describeConformance('cpu', { backendOptions: { gemm: 'wasm' } });
