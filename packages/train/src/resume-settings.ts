/**
 * Which settings a resumed run may change. A checkpoint continues one run: a
 * changed learning rate, batch size, seed or loss would make the resumed run
 * something no uninterrupted run is, so the Trainer refuses it and names the
 * fields. Where the output goes and how the run reports itself may change.
 */

/** TrainingArgs fields that do not change what is trained. */
export const RESUMABLE_SETTINGS: readonly string[] = [
  'outputDir',
  'progress',
  'resumeFromCheckpoint',
  'saveSteps',
  'saveTotalLimit',
  'evalSteps',
  // A run stopped by a non-finite step resumes with skipping switched on.
  'skipNonFiniteSteps',
  // Checked on its own, with its own message.
  'maxSteps',
];

/**
 * `field saved → now` for each setting of `saved` (a checkpoint's) that `current`
 * gives another value, leaving out RESUMABLE_SETTINGS and `alsoResumable`, and
 * fields either side lacks (settings added or removed between versions).
 */
export function changedSettings(saved: unknown, current: object, alsoResumable: readonly string[]): string[] {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return [];
  const skip = new Set([...RESUMABLE_SETTINGS, ...alsoResumable]);
  const now = current as Record<string, unknown>;
  const changed: string[] = [];
  for (const [field, before] of Object.entries(saved as Record<string, unknown>)) {
    if (skip.has(field) || !(field in now)) continue;
    // Compared as JSON, as it was saved: numbers, strings, booleans, null and arrays of them.
    const after = JSON.stringify(now[field]);
    if (after !== undefined && JSON.stringify(before) !== after)
      changed.push(`${field} ${JSON.stringify(before)} → ${after}`);
  }
  return changed;
}
