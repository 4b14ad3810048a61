/**
 * Encoding throughput with Qwen3's tokenizer (or, with --tokenizer, Llama 2's or
 * GPT-2's published tokenizer.json) on a ~5 MB mixed corpus (MATH/AIME
 * prose and LaTeX, this repository's TypeScript, generated numbers, multilingual
 * text), document by document, side by side in one process: @molrl/tokenize,
 * molrl without its word cache, @huggingface/tokenizers, @lenml/tokenizers
 * (both HF-compatible), and
 * js-tiktoken with o200k_base as a speed reference only (another vocabulary).
 * The HF-compatible peers must produce ids identical to molrl's; any difference
 * is printed and fails the run.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/tokenize.bench.ts [--quick] [--mb 5] [--impls molrl,hf-tokenizers] [--tokenizer qwen3|llama2|gpt2]
 *
 * Rows: case "encode-mixed" (Qwen3; "encode-mixed-llama2", "encode-mixed-gpt2"
 * for the others), size = corpus bytes; units tokens/s and MB/s (UTF-8 MB).
 * Special tokens are not added (Llama 2 would add a BOS to each document).
 * Llama 2's pipeline (Prepend and Replace normalizers, no pre-tokenizer, byte
 * fallback) and GPT-2's (ByteLevel with its own regex) run molrl's general
 * path, not the scanner Qwen3's split regex gets.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Bench } from 'tinybench';
import { Tokenizer } from '@molrl/tokenize';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { TokenizerLoader } from '@lenml/tokenizers';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import {
  MULTILINGUAL,
  mathTexts,
  numberTexts,
  seededRandom,
  sourceTexts,
} from '../packages/tokenize/src/test-util/corpus.test-util.js';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { flagValue } from './lib/args.js';

const quick = process.argv.includes('--quick');
const targetMB = Number(flagValue('--mb') ?? (quick ? '0.5' : '5'));
if (!(targetMB > 0)) throw new Error(`--mb: '${flagValue('--mb')}' is not a positive number`);

/** Documents in a fixed interleaving: ~40% math prose, ~35% code, ~10% numbers, ~15% multilingual. */
function buildCorpus(bytes: number): string[] {
  const random = seededRandom(42);
  const math = mathTexts();
  const code = sourceTexts(3_000_000);
  const docs: string[] = [];
  let total = 0;
  let i = 0;
  const push = (d: string) => {
    docs.push(d);
    total += Buffer.byteLength(d);
  };
  while (total < bytes) {
    for (let k = 0; k < 4; k++) push(math[(i * 4 + k) % math.length]);
    push(code[i % code.length]);
    push(numberTexts(random, 40).join(random() < 0.5 ? ' ' : '\n'));
    const paragraph: string[] = [];
    for (let k = 0; k < 12; k++) paragraph.push(MULTILINGUAL[Math.floor(random() * MULTILINGUAL.length)]);
    push(paragraph.join(' '));
    i++;
  }
  return docs;
}

interface Impl {
  name: string;
  encode: (text: string) => ArrayLike<number>;
  /** Compared with molrl's ids (HF-compatible implementations). */
  mustMatch: boolean;
}

const require = createRequire(import.meta.url);
const TOKENIZERS = ['qwen3', 'llama2', 'gpt2'];
const tokenizerName = flagValue('--tokenizer') ?? 'qwen3';
if (!TOKENIZERS.includes(tokenizerName))
  throw new Error(`--tokenizer: unknown tokenizer '${tokenizerName}' (known: ${TOKENIZERS.join(', ')})`);
const modelFile = (file: string) =>
  JSON.parse(readFileSync(require.resolve(`@lenml/tokenizer-${tokenizerName}/models/${file}`), 'utf8'));
const tokenizerJson = modelFile('tokenizer.json');
const tokenizerConfig = modelFile('tokenizer_config.json');
const caseName = tokenizerName === 'qwen3' ? 'encode-mixed' : `encode-mixed-${tokenizerName}`;

const IMPLS: Record<string, () => Impl> = {
  molrl: () => {
    const tok = tokenizerName === 'qwen3' ? Tokenizer.qwen3() : Tokenizer.fromJSON(tokenizerJson, tokenizerConfig);
    return { name: 'molrl', encode: (t) => tok.encode(t, { addSpecialTokens: false }), mustMatch: false };
  },
  // The same without the word cache: every word goes through the merge loop.
  'molrl-nocache': () => {
    const tok = Tokenizer.fromJSON(tokenizerJson, tokenizerConfig, { cacheSize: 0 });
    return { name: 'molrl-nocache', encode: (t) => tok.encode(t, { addSpecialTokens: false }), mustMatch: true };
  },
  'hf-tokenizers': () => {
    const tok = new HfTokenizer(tokenizerJson, tokenizerConfig);
    return { name: 'hf-tokenizers', encode: (t) => tok.encode(t, { add_special_tokens: false }).ids, mustMatch: true };
  },
  'lenml-tokenizers': () => {
    const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: tokenizerJson, tokenizerConfig });
    return {
      name: 'lenml-tokenizers',
      encode: (t) => tok.encode(t, { add_special_tokens: false }) as number[],
      mustMatch: true,
    };
  },
  'js-tiktoken-o200k': () => {
    const enc = new Tiktoken(o200k);
    // allowedSpecial 'all' + disallowedSpecial [] so text with special-looking strings encodes as text.
    return { name: 'js-tiktoken-o200k', encode: (t) => enc.encode(t, [], []), mustMatch: false };
  },
};

const implNames = (flagValue('--impls') ?? Object.keys(IMPLS).join(',')).split(',');
for (const name of implNames)
  if (!IMPLS[name])
    throw new Error(`--impls: unknown implementation '${name}' (known: ${Object.keys(IMPLS).join(', ')})`);

const docs = buildCorpus(targetMB * 1e6);
const bytes = docs.reduce((a, d) => a + Buffer.byteLength(d), 0);
console.log(`corpus: ${docs.length} documents, ${(bytes / 1e6).toFixed(2)} MB UTF-8`);

const reference = IMPLS.molrl();
const referenceIds = docs.map((d) => Array.from(reference.encode(d)));
const referenceTokens = referenceIds.reduce((a, ids) => a + ids.length, 0);

const rows: ResultRow[] = [];
let mismatch = false;
// The machine is shared: molrl is timed both first and last, and its slower figure is kept.
const order = implNames[0] === 'molrl' && implNames.length > 1 ? [...implNames, 'molrl'] : implNames;
for (const [position, name] of order.entries()) {
  const impl = name === 'molrl' ? reference : IMPLS[name]();
  let tokens = 0;
  const runAll = () => {
    tokens = 0;
    for (const d of docs) tokens += impl.encode(d).length;
  };
  const t0 = performance.now();
  runAll(); // also warms caches, as in steady use
  const firstMs = performance.now() - t0;
  if (impl.mustMatch) {
    const bad = docs.findIndex((d, i) => {
      const ids = Array.from(impl.encode(d));
      return ids.length !== referenceIds[i].length || ids.some((x, k) => x !== referenceIds[i][k]);
    });
    if (bad >= 0) {
      mismatch = true;
      console.log(`${name}: ids differ from molrl on document ${bad}: ${JSON.stringify(docs[bad].slice(0, 80))}`);
    } else console.log(`${name}: ids identical to molrl on all ${docs.length} documents`);
  }
  const bench = new Bench({
    time: quick ? 200 : 2000,
    iterations: firstMs > 3000 ? 2 : 3,
    warmupIterations: 0,
    warmupTime: 0,
  });
  bench.add(name, runAll);
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== 'completed') throw new Error(`${name}: benchmark ${result.state}`);
  const seconds = result.latency.p50 / 1000;
  const previous = rows.findIndex((r) => r.impl === name && r.unit === 'tokens/s');
  if (previous >= 0 && position > 0) {
    if (rows[previous].value > tokens / seconds) rows.splice(previous, 2);
    else {
      console.log(`${name.padEnd(18)} again: median ${result.latency.p50.toFixed(0)} ms (slower figure kept)`);
      continue;
    }
  }
  rows.push(row({ case: caseName, impl: name, size: bytes, value: tokens / seconds, unit: 'tokens/s' }));
  rows.push(row({ case: caseName, impl: name, size: bytes, value: bytes / 1e6 / seconds, unit: 'MB/s' }));
  console.log(
    `${name.padEnd(18)} ${(tokens / seconds / 1e6).toFixed(2)} M tokens/s  ${(bytes / 1e6 / seconds).toFixed(2)} MB/s  (median ${result.latency.p50.toFixed(0)} ms over ${result.latency.samplesCount} runs; first run ${firstMs.toFixed(0)} ms)`,
  );
}
console.log(`molrl tokens: ${referenceTokens}`);
printTable(rows);
const peers = rows.filter((r) => r.unit === 'MB/s' && (r.impl === 'hf-tokenizers' || r.impl === 'lenml-tokenizers'));
const ours = rows.find((r) => r.unit === 'MB/s' && r.impl === 'molrl');
if (ours && peers.length > 0) {
  const fastest = peers.reduce((a, b) => (a.value > b.value ? a : b));
  console.log(`molrl / fastest HF-compatible peer (${fastest.impl}): ${(ours.value / fastest.value).toFixed(2)}x`);
}
if (!quick) console.log(`wrote ${writeResults('tokenize', rows)}`);
if (mismatch) process.exitCode = 1;
