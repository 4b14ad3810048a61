import type { Backend } from '../../backend.js';
import { uploadInput } from '../../conformance/host-data.js';
import { floats, uniform } from '../../conformance/inputs.js';
import { conformanceOf, type HostInput, type InputSpec } from '../../conformance/types.js';
import { attention, attentionGrad } from './contract.js';

interface Shape {
  b: number;
  hq: number;
  hkv: number;
  t: number;
  s: number;
  d: number;
  causal: boolean;
  queryOffset?: number;
  segments?: number[];
}

const SHAPES: [string, Shape][] = [
  ['full attention, T != S', { b: 2, hq: 2, hkv: 2, t: 5, s: 7, d: 4, causal: false }],
  ['causal, GQA 4:2, 70 rows (crosses a 64-row block)', { b: 1, hq: 4, hkv: 2, t: 70, s: 70, d: 16, causal: true }],
  ['decode: 1 query against 33 cached keys, GQA 4:1', { b: 2, hq: 4, hkv: 1, t: 1, s: 33, d: 8, causal: true }],
  [
    'chunked prefill with an explicit queryOffset',
    { b: 1, hq: 2, hkv: 1, t: 3, s: 8, d: 6, causal: true, queryOffset: 2 },
  ],
  [
    'packed sequences (segment ids), causal',
    {
      b: 2,
      hq: 2,
      hkv: 1,
      t: 12,
      s: 12,
      d: 5,
      causal: true,
      segments: [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 9, 9, 9, 9, 9],
    },
  ],
  [
    // Long enough for whole tiles of keys in other segments (webgpu skips them): row 0 two runs, row 1 an id that
    // comes back after another segment.
    'packed rows with whole tiles in other segments, causal',
    {
      b: 2,
      hq: 2,
      hkv: 1,
      t: 96,
      s: 96,
      d: 8,
      causal: true,
      segments: [
        ...[40, 56].flatMap((n, id) => new Array<number>(n).fill(id)),
        ...[30, 30, 36].flatMap((n, i) => new Array<number>(n).fill([3, 5, 3][i]!)),
      ],
    },
  ],
  [
    'packed rows with whole tiles in other segments, not causal',
    {
      b: 1,
      hq: 2,
      hkv: 2,
      t: 80,
      s: 80,
      d: 8,
      causal: false,
      segments: [20, 44, 16].flatMap((n, id) => new Array<number>(n).fill(id)),
    },
  ],
  ['size-1 dims', { b: 1, hq: 1, hkv: 1, t: 1, s: 1, d: 1, causal: true }],
  ['size-0 batch', { b: 0, hq: 2, hkv: 1, t: 3, s: 3, d: 4, causal: true }],
  ['size-0 queries', { b: 1, hq: 2, hkv: 1, t: 0, s: 4, d: 4, causal: false }],
  ['size-0 keys (no key: zero output, lse -Infinity)', { b: 1, hq: 2, hkv: 2, t: 3, s: 0, d: 4, causal: false }],
];

function inputs(c: Shape): InputSpec[] {
  const specs = [
    floats([c.b, c.hq, c.t, c.d], uniform(-2, 2)),
    floats([c.b, c.hkv, c.s, c.d], uniform(-2, 2)),
    floats([c.b, c.hkv, c.s, c.d]),
  ];
  if (c.segments) specs.push({ shape: [c.b, c.s], dtype: 'int32', values: { values: c.segments } });
  return specs;
}

const attrs = (c: Shape) => ({ scale: 1 / Math.sqrt(Math.max(c.d, 1)), causal: c.causal, queryOffset: c.queryOffset });

/** attentionGrad needs attention's out and lse: computed on the reference backend from the generated q, k, v. */
function withForward(c: Shape) {
  return async (generated: HostInput[], reference: Backend): Promise<HostInput[]> => {
    const [dOut, q, k, v, seg] = generated;
    const infos = [q, k, v, ...(seg ? [seg] : [])].map((h) => uploadInput(reference, h));
    const [out, lse] = reference.run('attention', infos, attrs(c));
    const outData = (await reference.read(out.storage)) as Float32Array;
    const lseData = (await reference.read(lse.storage)) as Float32Array;
    for (const info of [...infos, out, lse]) reference.release(info.storage);
    const derived: HostInput[] = [
      dOut,
      q,
      k,
      v,
      { data: outData, shape: [...out.shape], dtype: 'float32' },
      { data: lseData, shape: [...lse.shape], dtype: 'float32' },
    ];
    if (seg) derived.push(seg);
    return derived;
  };
}

export const conformance = [
  conformanceOf(attention, {
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    cases: SHAPES.map(([name, c]) => ({ name, inputs: inputs(c), attrs: attrs(c) })),
    errors: [
      {
        name: 'query heads not a multiple of KV heads',
        inputs: [floats([1, 3, 2, 4]), floats([1, 2, 2, 4]), floats([1, 2, 2, 4])],
        attrs: { scale: 1, causal: true },
      },
    ],
  }),
  conformanceOf(attentionGrad, {
    tolerance: { atol: 5e-4, rtol: 1e-3 },
    cases: SHAPES.map(([name, c]) => ({
      name,
      inputs: [floats([c.b, c.hq, c.t, c.d]), ...inputs(c)],
      attrs: attrs(c),
      prepare: withForward(c),
    })),
  }),
];
