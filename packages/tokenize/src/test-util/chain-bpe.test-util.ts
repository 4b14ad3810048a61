/** A BPE whose merges build each of `words` whole from its characters, left to right. */
export function chainBpe(words: string[]): { vocab: Record<string, number>; merges: string[] } {
  const vocab: Record<string, number> = {};
  const merges: string[] = [];
  const add = (token: string) => {
    if (!(token in vocab)) vocab[token] = Object.keys(vocab).length;
  };
  for (const w of words) for (const ch of w) add(ch);
  for (const w of words)
    for (let i = 2; i <= w.length; i++) {
      const merge = `${w.slice(0, i - 1)} ${w[i - 1]}`;
      if (!merges.includes(merge)) merges.push(merge);
      add(w.slice(0, i));
    }
  return { vocab, merges };
}
