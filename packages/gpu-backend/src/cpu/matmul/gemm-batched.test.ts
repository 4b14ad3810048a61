import { afterAll, describe, expect, it } from 'vitest';
import {
  bfloat16ArrayToFloat32,
  float16ArrayToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
} from '../../dtype-convert.js';
import { configureGemm, gemmImplementation, gemmReference } from './gemm.js';
import { gemmBatched, type BatchedGemmParams } from './gemm-batched.js';
import { nativeGemmCallCount, nativeGemmStatus } from './native-gemm.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

const IMPLEMENTATIONS = nativeGemmStatus().available ? (['wasm', 'native'] as const) : (['wasm'] as const);

afterAll(async () => {
  await configureGemm({ implementation: 'auto' });
});

describe.each(IMPLEMENTATIONS)('gemmBatched on the %s GEMM', (implementation) => {
  it('multiplies every item, with shared operands, transposes and half-precision b as stored', async () => {
    await configureGemm({ implementation });
    expect(gemmImplementation()).toBe(implementation);
    const rand = seeded(implementation.length);
    const nativeBefore = nativeGemmCallCount();
    let calls = 0;
    for (const element of ['f32', 'bf16', 'f16'] as const)
      for (const [transA, transB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const)
        for (const [shareA, shareB] of [
          [false, false],
          [false, true],
          [true, false],
        ] as const) {
          const [m, n, k, batch] = [9, 35, 21, 3];
          const a = Float32Array.from({ length: 2 + m * k * batch }, rand);
          const bValues = Float32Array.from({ length: 3 + k * n * batch }, rand);
          const b =
            element === 'f32'
              ? bValues
              : element === 'bf16'
                ? float32ArrayToBfloat16(bValues)
                : float32ArrayToFloat16(bValues);
          // The values b holds as stored: the product must use exactly these.
          const stored =
            element === 'f32'
              ? bValues
              : element === 'bf16'
                ? bfloat16ArrayToFloat32(b as Uint16Array)
                : float16ArrayToFloat32(b as Uint16Array);
          const c = new Float32Array(1 + m * n * batch).fill(Number.NaN);
          const p: BatchedGemmParams = {
            a,
            aOffset: 2,
            strideA: shareA ? 0 : m * k,
            transA,
            b,
            bOffset: 3,
            strideB: shareB ? 0 : k * n,
            transB,
            bElement: element,
            c,
            cOffset: 1,
            strideC: m * n,
            m,
            n,
            k,
            batch,
          };
          gemmBatched(p);
          calls++;
          const expected = new Float32Array(m * n);
          for (let t = 0; t < batch; t++) {
            gemmReference({
              a,
              aOffset: p.aOffset + t * p.strideA,
              b: stored,
              bOffset: p.bOffset + t * p.strideB,
              c: expected,
              cOffset: 0,
              m,
              n,
              k,
              transA,
              transB,
            });
            for (let i = 0; i < m * n; i++) {
              const got = c[1 + t * m * n + i]!;
              if (!(Math.abs(got - expected[i]!) <= 1e-5 * k))
                throw new Error(
                  `${element} ${transA} ${transB} ${shareA} ${shareB} item ${t}: C[${i}] ${got} vs ${expected[i]}`,
                );
            }
          }
          expect(Number.isNaN(c[0]!)).toBe(true); // before cOffset: untouched
        }
    // One native call per batched product (the whole batch at once), none on WebAssembly.
    expect(nativeGemmCallCount() - nativeBefore).toBe(implementation === 'native' ? calls : 0);
  });

  it('zeros C for k = 0 and leaves it for m = 0, whatever the batch', async () => {
    await configureGemm({ implementation });
    const c = new Float32Array(7).fill(3);
    const common = {
      a: new Float32Array(0),
      aOffset: 0,
      strideA: 0,
      transA: false,
      b: new Float32Array(0),
      bOffset: 0,
    };
    gemmBatched({
      ...common,
      strideB: 0,
      transB: false,
      bElement: 'f32',
      c,
      cOffset: 1,
      strideC: 3,
      m: 1,
      n: 3,
      k: 0,
      batch: 2,
    });
    expect([...c]).toEqual([3, 0, 0, 0, 0, 0, 0]);
    gemmBatched({
      ...common,
      strideB: 0,
      transB: false,
      bElement: 'f32',
      c,
      cOffset: 0,
      strideC: 3,
      m: 0,
      n: 3,
      k: 2,
      batch: 2,
    });
    expect([...c]).toEqual([3, 0, 0, 0, 0, 0, 0]);
    expect(() =>
      gemmBatched({
        ...common,
        strideB: 0,
        transB: false,
        bElement: 'bf16',
        c,
        cOffset: 0,
        strideC: 3,
        m: 1,
        n: 3,
        k: 2,
        batch: 1,
      }),
    ).toThrow(/b must be a Uint16Array for element 'bf16'/);
  });
});
