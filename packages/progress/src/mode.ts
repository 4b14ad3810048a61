/** How progress is shown: a bar on a terminal and log lines otherwise ('auto'), or one of them always, or nothing. */
export const PROGRESS_MODES = ['auto', 'bar', 'lines', 'silent'] as const;

export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** Whether `value` is one of PROGRESS_MODES. */
export function isProgressMode(value: unknown): value is ProgressMode {
  return (PROGRESS_MODES as readonly unknown[]).includes(value);
}
