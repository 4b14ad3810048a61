/**
 * The known name a mistyped one most likely meant, for "did you mean" hints in
 * config and command-line errors. The rule is commander.js's (`suggestSimilar`):
 * the optimal-string-alignment distance (Levenshtein with adjacent
 * transpositions), at most 3 edits, and the candidate must keep more than 40%
 * of its length; letter case is a free edit here, so `learningrate` finds
 * `learningRate`.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = MAX_DISTANCE + 1;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    const longest = Math.max(name.length, candidate.length);
    const kept = (longest - distance) / longest;
    if (distance < bestDistance && kept > MIN_SIMILARITY) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * ` (did you mean 'x'?)` when a known name is close to `name`, else the empty string;
 * `show` writes the match as the message names it (quoted, by default).
 */
export function didYouMean(
  name: string,
  candidates: Iterable<string>,
  show: (match: string) => string = (match) => `'${match}'`,
): string {
  const match = closestName(name, candidates);
  return match === undefined ? '' : ` (did you mean ${show(match)}?)`;
}

const MAX_DISTANCE = 3;
const MIN_SIMILARITY = 0.4;

/** Edits (insert, delete, substitute, swap two adjacent characters) that turn a into b. */
function editDistance(a: string, b: string): number {
  // d[i][j]: the distance between a's first i characters and b's first j, one row per i.
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}
