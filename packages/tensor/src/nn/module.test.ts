import { beforeAll, describe, expect, it } from 'vitest';
import { Embedding, Linear, Module, RMSNorm, parameter, setBackend, tensor, zeros, type Tensor } from '../index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

class Block extends Module {
  norm = new RMSNorm(4);
  proj = new Linear(4, 3, { seed: 1, bias: true });
}

class Net extends Module {
  embed = new Embedding(10, 4, { seed: 2 });
  layers = [new Block(), new Block()];
  scale: Tensor;
  constructor() {
    super();
    this.scale = parameter(tensor([1], [1]));
    this.registerModule('head', new Linear(3, 10, { seed: 3 }));
  }
}

describe('Module', () => {
  it('names parameters by property and registration, depth first', () => {
    const names = new Net().namedParameters().map(([n]) => n);
    expect(names).toEqual([
      'scale',
      'head.weight',
      'embed.weight',
      'layers.0.norm.weight',
      'layers.0.proj.weight',
      'layers.0.proj.bias',
      'layers.1.norm.weight',
      'layers.1.proj.weight',
      'layers.1.proj.bias',
    ]);
  });
  it('stateDict round trip through loadStateDict', async () => {
    const a = new Net();
    const b = new Net();
    b.embed.weight.assign(zeros([10, 4]));
    b.loadStateDict(a.stateDict());
    expect(await b.embed.weight.data()).toEqual(await a.embed.weight.data());
    expect(a.numParameters()).toBe(1 + 30 + 40 + 2 * (4 + 12 + 3));
  });
  it('loadStateDict names missing keys, unexpected keys and shape mismatches', () => {
    const net = new Net();
    const state = net.stateDict();
    const { ['layers.1.proj.bias']: _dropped, ...rest } = state;
    expect(() => net.loadStateDict({ ...rest, extra: zeros([1]), 'embed.weight': zeros([9, 4]) })).toThrow(
      /embed\.weight: checkpoint has \[9, 4\], the module has \[10, 4\][\s\S]*missing keys: layers\.1\.proj\.bias[\s\S]*unexpected keys: extra/,
    );
    const result = net.loadStateDict({ ...rest, extra: zeros([1]) }, { strict: false });
    expect(result.missingKeys).toEqual(['layers.1.proj.bias']);
    expect(result.unexpectedKeys).toEqual(['extra']);
  });
  it('requiresGrad_(false) freezes; trainableParameters follows', () => {
    const net = new Net();
    net.layers[0]!.requiresGrad_(false);
    expect(net.trainableParameters().map(([n]) => n)).not.toContain('layers.0.proj.weight');
    expect(net.trainableParameters().length).toBe(6);
  });
  it('Linear uses the [out, in] weight layout', async () => {
    const lin = new Linear(2, 3);
    lin.weight.assign(tensor([1, 0, 0, 1, 1, 1], [3, 2]));
    expect(Array.from(await lin.forward(tensor([2, 5], [1, 1, 2])).data())).toEqual([2, 5, 7]);
  });
});

describe('TransformerBlock', () => {
  it('keeps the shape, names its parameters, and its gradients pass gradcheck', async () => {
    const { TransformerBlock, gradcheck, noGrad } = await import('../index.js');
    const block = new TransformerBlock({ dim: 8, heads: 2, kvHeads: 1, mlpHidden: 12, seed: 5 });
    expect(block.namedParameters().map(([n]) => n)).toContain('q.weight');
    const positions = tensor(Int32Array.from([0, 1, 2, 0, 1, 2]), [2, 3]);
    const y = noGrad(() => block.forward(zeros([2, 3, 8]), positions));
    expect(y.shape).toEqual([2, 3, 8]);
    const x = tensor(
      Float32Array.from({ length: 2 * 3 * 8 }, (_, i) => Math.sin(i)),
      [2, 3, 8],
    );
    await gradcheck((xi) => block.forward(xi!, positions), [x], { atol: 5e-3 });
    // Parameters through the block, a sample of each.
    const wq = block.q.weight;
    const check = await gradcheck(
      (w) => {
        const saved = block.q.weight;
        block.q.weight = w as typeof saved;
        try {
          return block.forward(x, positions);
        } finally {
          block.q.weight = saved;
        }
      },
      [wq],
      { atol: 5e-3, maxElementsPerInput: 10 },
    );
    expect(check.checked).toBe(10);
  });
});
