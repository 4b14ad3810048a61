/**
 * Learning-rate schedules as plain functions of the 0-based optimizer step
 * (the number of steps taken before this one), with the formulas of the
 * transformers library's get_*_schedule_with_warmup.
 */
export type LrSchedule = (step: number) => number;

export function constantSchedule(lr: number): LrSchedule {
  return () => lr;
}

/** Linear ramp from 0 to lr over warmupSteps, then constant. */
export function linearWarmup(lr: number, warmupSteps: number): LrSchedule {
  return (step) => (step < warmupSteps ? (lr * step) / Math.max(1, warmupSteps) : lr);
}

/** Linear warmup, then linear decay to 0 at totalSteps. */
export function linearSchedule(lr: number, warmupSteps: number, totalSteps: number): LrSchedule {
  return (step) => {
    if (step < warmupSteps) return (lr * step) / Math.max(1, warmupSteps);
    return lr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

/** Cosine decay from lr to minLr over totalSteps (no warmup). */
export function cosineSchedule(lr: number, totalSteps: number, options: { minLr?: number } = {}): LrSchedule {
  return warmupCosine(lr, 0, totalSteps, options);
}

/** Linear warmup to lr, then half-cosine decay to minLr (default 0) at totalSteps. */
export function warmupCosine(
  lr: number,
  warmupSteps: number,
  totalSteps: number,
  options: { minLr?: number } = {},
): LrSchedule {
  const minLr = options.minLr ?? 0;
  return (step) => {
    if (step < warmupSteps) return (lr * step) / Math.max(1, warmupSteps);
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minLr + (lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}
