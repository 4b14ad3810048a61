import { beforeAll, describe, expect, it } from 'vitest';
import {
  customOp,
  enableGrad,
  exp,
  gradcheck,
  memory,
  mul,
  noGrad,
  setBackend,
  setDebug,
  sum,
  tensor,
  tidy,
  zeros,
  log,
  div,
  type Tensor,
} from '../index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const data = async (t: Tensor | null) => Array.from(await t!.data());

describe('backward', () => {
  it('d/dx of sum(x * x) is 2x; gradients accumulate until zeroGrad', async () => {
    const x = tensor([1, 2, 3], [3], { requiresGrad: true });
    sum(mul(x, x)).backward();
    expect(await data(x.grad)).toEqual([2, 4, 6]);
    sum(mul(x, x)).backward();
    expect(await data(x.grad)).toEqual([4, 8, 12]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });
  it('a tensor used twice sums its gradients (diamond graph)', async () => {
    const x = tensor([0.5, -1], [2], { requiresGrad: true });
    const y = exp(x);
    sum(mul(y, y).add(y)).backward();
    const e = [Math.exp(0.5), Math.exp(-1)];
    const g = await data(x.grad);
    g.forEach((v, i) => expect(v).toBeCloseTo(2 * e[i]! * e[i]! + e[i]!, 5));
  });
  it('a non-scalar output needs an explicit gradient', async () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = mul(x, 3);
    expect(() => y.backward()).toThrow(/not a scalar/);
    y.backward(tensor([1, 10], [2]));
    expect(await data(x.grad)).toEqual([3, 30]);
  });
  it('running backward twice needs retainGraph', async () => {
    const x = tensor([2], [1], { requiresGrad: true });
    const y = sum(exp(x));
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect((await data(x.grad))[0]).toBeCloseTo(2 * Math.exp(2), 4);
    expect(() => y.backward()).toThrow(/already released by an earlier backward\(\).*retainGraph/);
  });
  it('retainGrad keeps the gradient of an intermediate', async () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = mul(x, 3).retainGrad();
    sum(mul(y, y)).backward();
    expect(await data(y.grad)).toEqual([6, 12]);
    expect(await data(x.grad)).toEqual([18, 36]);
  });
  it('noGrad and detach record nothing', () => {
    const x = tensor([1], [1], { requiresGrad: true });
    const y = noGrad(() => mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    expect(mul(x.detach(), 2).requiresGrad).toBe(false);
    expect(() => sum(y).backward()).toThrow(/does not require grad/);
  });
  it('noGrad rejects an async function', () => {
    expect(() => noGrad(async () => 1)).toThrow(/noGrad is synchronous/);
  });
  it('only leaves may toggle requiresGrad', () => {
    const x = tensor([1], [1], { requiresGrad: true });
    expect(() => {
      mul(x, 2).requiresGrad = false;
    }).toThrow(/only be changed on leaf tensors/);
    expect(() => {
      tensor(Int32Array.from([1]), [1]).requiresGrad = true;
    }).toThrow(/only float tensors/);
  });
});

describe('memory', () => {
  it('tidy releases intermediates but the graph keeps what backward needs', async () => {
    const x = tensor([0.1, 0.2, 0.3], [3], { requiresGrad: true });
    const before = memory();
    const loss = tidy(() => sum(exp(mul(x, 2))));
    // exp's output and mul's output are gone as handles; backward still works.
    loss.backward();
    const g = await data(x.grad);
    [0.1, 0.2, 0.3].forEach((v, i) => expect(g[i]).toBeCloseTo(2 * Math.exp(2 * v), 5));
    loss.dispose();
    x.grad!.dispose();
    x.grad = null;
    expect(memory().storages).toBe(before.storages);
    expect(memory().tensors).toBe(before.tensors);
  });
  it('dropping a graph without backward releases its saved tensors', () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const before = memory();
    const y = tidy(() => sum(exp(exp(x))));
    expect(memory().storages).toBeGreaterThan(before.storages);
    y.dispose();
    expect(memory().storages).toBe(before.storages);
    expect(memory().tensors).toBe(before.tensors);
  });
  it('after backward only the leaf gradient remains of the whole graph', () => {
    const w = tensor([0.5, 0.25, 2, 1], [2, 2], { requiresGrad: true });
    const before = memory();
    const loss = tidy(() => sum(log(exp(w.matmul(w).mul(w)).add(1)).div(3)));
    expect(memory().storages).toBeGreaterThan(before.storages + 3);
    loss.backward();
    loss.dispose();
    expect(memory().storages).toBe(before.storages + 1);
    expect(memory().tensors).toBe(before.tensors + 1);
    w.zeroGrad();
    expect(memory().storages).toBe(before.storages);
  });
  it('tidy keeps returned tensors (nested in arrays and objects) and passes them to the outer scope', () => {
    const before = memory().storages;
    const out = tidy(() => {
      const inner = tidy(() => {
        const a = zeros([2]);
        const b = zeros([3]);
        zeros([4]);
        return { a, list: [b] };
      });
      return inner.a;
    });
    expect(memory().storages).toBe(before + 1);
    expect(out.isDisposed).toBe(false);
    out.dispose();
    expect(memory().storages).toBe(before);
  });
  it('tidy rejects an async function', () => {
    expect(() => tidy(() => Promise.resolve(1) as unknown as number)).toThrow(/tidy is synchronous/);
  });
});

describe('customOp', () => {
  it('a hand-written backward is used and checked by gradcheck', async () => {
    const square = customOp(
      'mySquare',
      ([x], ctx) => {
        ctx.save(x!);
        return mul(x!, x!);
      },
      ([dy], [x]) => [mul(mul(dy!, x!), 2)],
    );
    await gradcheck((x) => square(x!), [tensor([0.3, -1.2, 2], [3])]);
  });
  it('gradcheck catches a wrong backward', async () => {
    const wrong = customOp(
      'wrongSquare',
      ([x], ctx) => {
        ctx.save(x!);
        return mul(x!, x!);
      },
      ([dy], [x]) => [mul(dy!, x!)],
    );
    await expect(gradcheck((x) => wrong(x!), [tensor([0.3, -1.2, 2], [3])], { name: 'wrongSquare' })).rejects.toThrow(
      /gradcheck 'wrongSquare': 3 of 3 gradient elements differ/,
    );
  });
  it('a backward returning a saved tensor or a captured constant does not hand it out', async () => {
    const constant = tensor([5, 5], [2]);
    const op = customOp(
      'returnsOutsiders',
      ([x, y], ctx) => {
        ctx.save(y!);
        return mul(x!, y!);
      },
      (_grads, [ySaved]) => [ySaved!, constant],
    );
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = tensor([3, 4], [2], { requiresGrad: true });
    sum(op(x, y)).backward();
    expect(await data(x.grad)).toEqual([3, 4]);
    y.zeroGrad();
    expect(await data(constant)).toEqual([5, 5]);
  });
  it('forward intermediates are released; saved ones live until backward', async () => {
    const op = customOp(
      'expSquare',
      ([x], ctx) => {
        const e = exp(x!); // intermediate, saved
        ctx.save(e);
        mul(e, 3); // intermediate, not saved: released when forward returns
        return mul(e, e);
      },
      ([dy], [e]) => [mul(mul(dy!, mul(e!, e!)), 2)],
    );
    const x = tensor([0.5], [1], { requiresGrad: true });
    const before = memory();
    const y = op(x);
    // y and the saved exp(x) remain (the unsaved intermediate is gone).
    expect(memory().storages).toBe(before.storages + 2);
    const total = sum(y);
    total.backward();
    expect((await data(x.grad))[0]).toBeCloseTo(2 * Math.exp(1), 5);
    total.dispose();
    y.dispose();
    x.zeroGrad();
    expect(memory().storages).toBe(before.storages);
  });
  it('an identity custom op does not re-parent its input', async () => {
    const identity = customOp(
      'identity',
      ([x]) => x!,
      ([g]) => [g!],
    );
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = identity(x);
    expect(y).not.toBe(x);
    expect(x.isLeaf).toBe(true);
    sum(y).backward();
    expect(await data(x.grad)).toEqual([1, 1]);
  });
  it('activation recomputation: a backward that runs a nested backward', async () => {
    const w = tensor([0.5, -1], [2], { requiresGrad: true });
    const layer = (x: Tensor) => exp(mul(x, w));
    const checkpointed = customOp(
      'checkpointed',
      ([x, _w], ctx) => {
        ctx.save(x!);
        return layer(x!);
      },
      ([dy], [sx]) => {
        const xin = sx!.detach();
        xin.requiresGrad = true;
        tidy(() => enableGrad(() => layer(xin).backward(dy)));
        const dx = xin.grad;
        xin.grad = null;
        xin.dispose();
        return [dx, null]; // w's gradient was accumulated by the nested backward
      },
    );
    const x = tensor([1, 2], [2], { requiresGrad: true });
    sum(mul(checkpointed(x, w), 2)).backward();
    const direct = tensor([1, 2], [2], { requiresGrad: true });
    const w2 = tensor([0.5, -1], [2], { requiresGrad: true });
    sum(mul(exp(mul(direct, w2)), 2)).backward();
    expect(await data(x.grad)).toEqual(await data(direct.grad));
    expect(await data(w.grad)).toEqual(await data(w2.grad));
  });
  it('multiple outputs: a missing output gradient arrives as zeros', async () => {
    const twoWay = customOp(
      'twoWay',
      ([x]) => [mul(x!, 2), mul(x!, 3)],
      ([g2, g3]) => [mul(g2!, 2).add(mul(g3!, 3))],
    );
    const x = tensor([1, 1], [2], { requiresGrad: true });
    const [a] = twoWay(x);
    sum(a!).backward();
    expect(await data(x.grad)).toEqual([2, 2]);
  });
});

describe('checkNumerics', () => {
  it('names the op that produced NaN/Inf, forward and backward', () => {
    setDebug({ checkNumerics: true });
    try {
      expect(() => log(tensor([-1], [1]))).toThrow(/checkNumerics: op 'log' produced NaN at flat index 0/);
      const x = tensor([0], [1], { requiresGrad: true });
      const y = sum(x.sqrt());
      expect(() => y.backward()).toThrow(/checkNumerics: op 'div' in the backward of 'sqrt' produced Infinity/);
      expect(() => div(tensor([1], [1]), zeros([1]))).toThrow(/op 'div' produced Infinity/);
    } finally {
      setDebug({ checkNumerics: false });
    }
  });
});
