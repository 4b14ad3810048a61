/** A step whose loss or gradient norm is not finite, stopped before its update. */
export class NonFiniteStepError extends Error {
  override name = 'NonFiniteStepError';
  constructor(
    /** The 1-based optimizer step. */
    readonly step: number,
    readonly loss: number,
    readonly gradNorm: number,
    trainer: string,
    lastCheckpoint: string | null,
  ) {
    const what = [
      Number.isFinite(loss) ? null : `the loss is ${loss}`,
      Number.isFinite(gradNorm) ? null : `the gradient norm is ${gradNorm}`,
    ].filter(Boolean);
    super(
      `${trainer}: step ${step}: ${what.join(' and ')}; stopped before its update. ` +
        (lastCheckpoint ? `The last checkpoint is ${lastCheckpoint}. ` : 'No checkpoint was written. ') +
        'Lower the learning rate, or set skipNonFiniteSteps to skip such steps.',
    );
  }
}
