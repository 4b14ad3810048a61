/**
 * The GRPO objective exactly as TRL's `GRPOTrainer._compute_loss` forms it
 * (TRL v0.25; see the README for where versions differ):
 *
 *   ratio      = exp(logp - old)                       (token level; or the masked
 *                                                       sequence mean of logp - old, GSPO)
 *   per_token  = -min(ratio * A, clamp(ratio, 1 - eps_low, 1 + eps_high) * A)
 *              + beta * (exp(ref - logp) - (ref - logp) - 1)      (k3 KL estimator)
 *
 * then one of TRL's normalisations over the completion mask:
 *   grpo     mean over sequences of (sum_t per_token * mask) / max(sum_t mask, 1)
 *   bnpo     sum(per_token * mask) / max(sum(mask), 1)
 *   dr_grpo  sum(per_token * mask) / (B * maxCompletionLength)
 *   dapo     sum(per_token * mask) / numItemsInBatch (the mask sum of the whole
 *            global batch; defaults to this batch's)
 *
 * Everything is tensor ops, so the gradient to `logps` comes from autograd and
 * the loss runs on any backend. The metrics (KL, clip fractions) are formed as
 * scalar tensors under noGrad and read once.
 */
import {
  Tensor,
  add,
  clamp,
  div,
  exp,
  greater,
  less,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  noGrad,
  reshape,
  sub,
  sum,
  tensor,
  tidy,
  type NestedNumbers,
} from '@molrl/tensor';

export type GrpoLossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';
export const GRPO_LOSS_TYPES: readonly GrpoLossType[] = ['grpo', 'bnpo', 'dr_grpo', 'dapo'];

export type ImportanceSamplingLevel = 'token' | 'sequence';

export interface GrpoLossInput {
  /** Per-token log-probabilities of the completion tokens under the policy being trained, [B, T]. */
  logps: Tensor;
  /** The same under the policy that generated the rollouts, [B, T]; default `logps` detached (one pass per batch). */
  oldLogps?: Tensor;
  /** The same under the reference model (the adapter off), [B, T]; needed when beta > 0. */
  refLogps?: Tensor;
  /** One advantage per sequence (length B). */
  advantages: ArrayLike<number> | Tensor;
  /** 1 for completion tokens that count (up to and including the first EOS), 0 elsewhere, [B, T]. */
  mask: Tensor | NestedNumbers;
  lossType: GrpoLossType;
  /** Lower clip range (TRL `epsilon`), default 0.2. */
  epsilonLow?: number;
  /** Upper clip range (TRL `epsilon_high`), default `epsilonLow`. */
  epsilonHigh?: number;
  /** KL weight (TRL `beta`), default 0. */
  beta?: number;
  /** The constant of `dr_grpo` (TRL `max_completion_length`), default T. */
  maxCompletionLength?: number;
  /** The divisor of `dapo`: completion tokens in the whole global batch; default this mask's sum. */
  numItemsInBatch?: number;
  /** TRL `importance_sampling_level`: 'token' (default) or 'sequence' (GSPO). */
  importanceSamplingLevel?: ImportanceSamplingLevel;
  /** TRL `delta`: upper bound on the unclipped ratio (two-sided clipping); off by default. */
  delta?: number;
}

/** What TRL logs for one loss computation (same keys), with camelCase aliases. */
export interface GrpoLossMetrics {
  /** Masked mean of the k3 KL estimate (present when `refLogps` was given). */
  kl?: number;
  'clip_ratio/low_mean': number;
  'clip_ratio/high_mean': number;
  'clip_ratio/region_mean': number;
  clipRatioLow: number;
  clipRatioHigh: number;
  clipRatioRegion: number;
  /** Completion tokens counted by the mask. */
  tokens: number;
}

export interface GrpoLossTensors {
  /** The scalar loss, with a graph back to `logps`. */
  loss: Tensor;
  /** Scalar tensors (no gradient): kl (when refLogps was given), low, high, region clip fractions, token count. */
  metricTensors: { kl?: Tensor; low: Tensor; high: Tensor; region: Tensor; tokens: Tensor };
}

export interface GrpoLossResult {
  loss: Tensor;
  metrics: GrpoLossMetrics;
}

function checkShape(name: string, t: Tensor, shape: readonly number[]): void {
  if (t.rank !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
    throw new Error(
      `grpoLoss: ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] (the shape of logps)`,
    );
  }
}

function checkNumber(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new Error(`grpoLoss: ${name} must be a finite number >= ${min}, got ${String(value)}`);
  }
}

function maskTensor(mask: Tensor | NestedNumbers, shape: readonly number[]): Tensor {
  if (mask instanceof Tensor) {
    checkShape('mask', mask, shape);
    return mask.dtype === 'float32' ? mask : mask.cast('float32');
  }
  if (!Array.isArray(mask) || mask.length !== shape[0]) {
    throw new Error(
      `grpoLoss: mask must be a tensor or nested arrays of shape [${shape.join(', ')}], got ${Array.isArray(mask) ? `${mask.length} rows` : typeof mask}`,
    );
  }
  const flat = new Float32Array(shape[0]! * shape[1]!);
  mask.forEach((row, b) => {
    if (!Array.isArray(row) || row.length !== shape[1]) {
      throw new Error(
        `grpoLoss: mask[${b}] must have ${shape[1]} entries, got ${Array.isArray(row) ? row.length : typeof row}`,
      );
    }
    row.forEach((v, t) => {
      if (v !== 0 && v !== 1)
        throw new Error(`grpoLoss: mask[${b}][${t}] is ${String(v)} (mask entries must be 0 or 1)`);
      flat[b * shape[1]! + t] = v;
    });
  });
  return tensor(flat, [...shape]);
}

function advantagesTensor(advantages: ArrayLike<number> | Tensor, batch: number): Tensor {
  if (advantages instanceof Tensor) {
    if (advantages.size !== batch)
      throw new Error(`grpoLoss: advantages has ${advantages.size} values, expected ${batch} (one per sequence)`);
    return reshape(advantages, [batch, 1]);
  }
  if (advantages.length !== batch)
    throw new Error(`grpoLoss: advantages has ${advantages.length} values, expected ${batch} (one per sequence)`);
  const values = Float32Array.from(advantages);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`grpoLoss: advantages[${i}] is ${v}`);
  });
  return tensor(values, [batch, 1]);
}

/** The loss and its metrics as tensors (nothing read back): for async backends and for trainers that batch reads. */
export function grpoLossTensors(input: GrpoLossInput): GrpoLossTensors {
  const { logps, lossType } = input;
  if (!(logps instanceof Tensor) || logps.rank !== 2) {
    throw new Error(
      `grpoLoss: logps must be a [B, T] tensor, got ${logps instanceof Tensor ? `shape [${logps.shape.join(', ')}]` : typeof logps}`,
    );
  }
  if (!GRPO_LOSS_TYPES.includes(lossType)) {
    throw new Error(`grpoLoss: lossType must be one of ${GRPO_LOSS_TYPES.join(', ')}, got ${JSON.stringify(lossType)}`);
  }
  const [batch, length] = logps.shape as [number, number];
  const epsilonLow = input.epsilonLow ?? 0.2;
  const epsilonHigh = input.epsilonHigh ?? epsilonLow;
  const beta = input.beta ?? 0;
  checkNumber('epsilonLow', epsilonLow, 0);
  checkNumber('epsilonHigh', epsilonHigh, 0);
  checkNumber('beta', beta, 0);
  const level = input.importanceSamplingLevel ?? 'token';
  if (level !== 'token' && level !== 'sequence')
    throw new Error(`grpoLoss: importanceSamplingLevel must be 'token' or 'sequence', got ${JSON.stringify(level)}`);
  if (input.delta !== undefined) checkNumber('delta', input.delta, 1);
  if (input.oldLogps !== undefined) checkShape('oldLogps', input.oldLogps, logps.shape);
  if (input.refLogps !== undefined) checkShape('refLogps', input.refLogps, logps.shape);
  if (beta > 0 && input.refLogps === undefined)
    throw new Error("grpoLoss: beta > 0 needs refLogps (the reference model's per-token log-probabilities)");
  if (lossType === 'dr_grpo' && input.maxCompletionLength !== undefined)
    checkNumber('maxCompletionLength', input.maxCompletionLength, 1);
  if (lossType === 'dapo' && input.numItemsInBatch !== undefined)
    checkNumber('numItemsInBatch', input.numItemsInBatch, Number.MIN_VALUE);

  return tidy(() => {
    const mask = maskTensor(input.mask, logps.shape);
    const adv = advantagesTensor(input.advantages, batch);
    const old = input.oldLogps ?? logps.detach();
    const logRatio = sub(logps, old);
    const tokenCounts = sum(mask, [1]);
    const safeCounts = maximum(tokenCounts, 1);
    // GSPO: one ratio per sequence, the masked mean of the token log-ratios, kept as [B, 1].
    const logWeights =
      level === 'token' ? logRatio : reshape(div(sum(mul(logRatio, mask), [1]), safeCounts), [batch, 1]);
    let coef1 = exp(logWeights);
    const coef2 = clamp(coef1, 1 - epsilonLow, 1 + epsilonHigh);
    if (input.delta !== undefined) coef1 = minimum(coef1, input.delta);
    let perToken = neg(minimum(mul(coef1, adv), mul(coef2, adv)));
    let klPerToken: Tensor | undefined;
    if (input.refLogps !== undefined) {
      const d = sub(input.refLogps, logps);
      klPerToken = sub(sub(exp(d), d), 1);
      if (beta > 0) perToken = add(perToken, mul(klPerToken, beta));
    }
    const masked = mul(perToken, mask);
    const totalTokens = sum(mask);
    let loss: Tensor;
    switch (lossType) {
      case 'grpo':
        loss = mean(div(sum(masked, [1]), safeCounts));
        break;
      case 'bnpo':
        loss = div(sum(masked), maximum(totalTokens, 1));
        break;
      case 'dr_grpo':
        loss = div(sum(masked), batch * (input.maxCompletionLength ?? length));
        break;
      case 'dapo':
        // An all-zero mask would be 0/0 in TRL; the guard keeps the loss at 0 instead.
        loss =
          input.numItemsInBatch !== undefined
            ? div(sum(masked), input.numItemsInBatch)
            : div(sum(masked), maximum(totalTokens, 1));
        break;
    }
    const metricTensors = noGrad(() => {
      const count = maximum(totalTokens, 1);
      // TRL's masked_batch_mean: a plain mean when the ratio is one per sequence.
      const batchMean = (x: Tensor) => (x.shape[1] === 1 ? mean(x) : div(sum(mul(x, mask)), count));
      // TRL flags clipping on coef_1 as the loss used it: after delta's cap (so with delta <= 1 + epsHigh no
      // token counts as high-clipped).
      const c1 = coef1.detach();
      const lowClipped = mul(less(c1, 1 - epsilonLow), less(adv, 0));
      const highClipped = mul(greater(c1, 1 + epsilonHigh), greater(adv, 0));
      const region = maximum(lowClipped, highClipped);
      return {
        kl: klPerToken ? batchMean(klPerToken.detach()) : undefined,
        low: batchMean(lowClipped),
        high: batchMean(highClipped),
        region: batchMean(region),
        tokens: totalTokens.detach(),
      };
    });
    return { loss, metricTensors };
  });
}

function metricsFrom(values: {
  kl?: number;
  low: number;
  high: number;
  region: number;
  tokens: number;
}): GrpoLossMetrics {
  return {
    ...(values.kl !== undefined ? { kl: values.kl } : {}),
    'clip_ratio/low_mean': values.low,
    'clip_ratio/high_mean': values.high,
    'clip_ratio/region_mean': values.region,
    clipRatioLow: values.low,
    clipRatioHigh: values.high,
    clipRatioRegion: values.region,
    tokens: values.tokens,
  };
}

function readMetrics(m: GrpoLossTensors['metricTensors'], read: (t: Tensor) => number): GrpoLossMetrics {
  const values = {
    kl: m.kl ? read(m.kl) : undefined,
    low: read(m.low),
    high: read(m.high),
    region: read(m.region),
    tokens: read(m.tokens),
  };
  for (const t of [m.kl, m.low, m.high, m.region, m.tokens]) t?.dispose();
  return metricsFrom(values);
}

/**
 * The GRPO loss TRL's `GRPOTrainer` computes for these inputs, with its logged
 * metrics. Metrics are read synchronously (cpu and gpujs backends); on a backend
 * that only reads asynchronously (webgpu) use `grpoLossAsync`.
 */
export function grpoLoss(input: GrpoLossInput): GrpoLossResult {
  const { loss, metricTensors } = grpoLossTensors(input);
  return { loss, metrics: readMetrics(metricTensors, (t) => t.dataSync()[0]!) };
}

/** `grpoLoss` for any backend: the metrics are read with `await t.data()`. */
export async function grpoLossAsync(input: GrpoLossInput): Promise<GrpoLossResult> {
  const { loss, metricTensors } = grpoLossTensors(input);
  const m = metricTensors;
  const [kl, low, high, region, tokens] = await Promise.all([
    m.kl?.item(),
    m.low.item(),
    m.high.item(),
    m.region.item(),
    m.tokens.item(),
  ]);
  for (const t of [m.kl, m.low, m.high, m.region, m.tokens]) t?.dispose();
  return { loss, metrics: metricsFrom({ kl, low: low!, high: high!, region: region!, tokens: tokens! }) };
}
