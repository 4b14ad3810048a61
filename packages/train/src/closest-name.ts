import { closestOptionName } from '@molrl/hub-cache';

/**
 * The known name a mistyped one most likely meant, for "did you mean" hints in
 * config and command-line errors: `@molrl/hub-cache`'s `closestOptionName`, the
 * one rule of the packages (commander.js's `suggestSimilar`: the optimal string
 * alignment distance, at most 3 edits, keeping more than 40% of the name; letter
 * case free, so `learningrate` finds `learningRate`; a snake_case name finds its
 * camelCase form). Never the name itself.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  return closestOptionName(
    name,
    [...candidates].filter((candidate) => candidate !== name),
  );
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
