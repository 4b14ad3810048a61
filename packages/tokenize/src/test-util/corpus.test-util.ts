/**
 * The deterministic text sources shared by the parity fixtures and the benchmark:
 * real prose and LaTeX from the MATH/AIME data, this repository's source code,
 * generated numbers, multilingual snippets and adversarial strings.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO_DIR = join(PACKAGE_DIR, '..', '..');
/** The MATH/AIME files that ship with @molrl/bench-math (so a bare clone has them). */
export const DATA_DIR = process.env.MOLRL_DATA_DIR ?? join(REPO_DIR, 'packages', 'bench-math', 'data');

/** A small seeded PRNG (mulberry32), so corpora are the same on every run. */
export { mulberry32 as seededRandom } from '@molrl/seeded-random';

/** Problems and solutions of the math sets, in file order. */
export function mathTexts(limit = Infinity): string[] {
  const out: string[] = [];
  for (const name of ['math500.jsonl', 'aime24.jsonl', 'aime25.jsonl']) {
    // A missing file is an error: a silently smaller corpus would change the parity fixtures.
    const text = readFileSync(join(DATA_DIR, name), 'utf8');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const row = JSON.parse(line) as Record<string, unknown>;
      for (const key of ['problem', 'solution', 'answer'])
        if (typeof row[key] === 'string') out.push(row[key] as string);
      if (out.length >= limit) return out.slice(0, limit);
    }
  }
  return out;
}

/** TypeScript sources of this repository (sorted paths, node_modules and dist excluded). */
export function sourceTexts(limitBytes = Infinity): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.(ts|md|json)$/.test(name) && st.size < 200_000 && !/fixtures|results/.test(p)) files.push(p);
    }
  };
  walk(join(REPO_DIR, 'packages'));
  const out: string[] = [];
  let total = 0;
  for (const f of files) {
    const t = readFileSync(f, 'utf8');
    out.push(t);
    total += t.length;
    if (total >= limitBytes) break;
  }
  return out;
}

export const MULTILINGUAL = [
  '机器学习是人工智能的一个分支，它使计算机能够从数据中学习。',
  '東京は日本の首都です。ひらがなとカタカナと漢字を使います。',
  '한국어는 한글로 씁니다. 서울은 대한민국의 수도입니다.',
  'Съешь же ещё этих мягких французских булок, да выпей чаю.',
  'Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.',
  'العربية لغة سامية، وتُكتب من اليمين إلى اليسار.',
  'עברית נכתבת מימין לשמאל.',
  'हिन्दी भारत की एक आधिकारिक भाषा है। क्षत्रिय',
  'ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ',
  'Tiếng Việt có nhiều dấu thanh: à, á, ả, ã, ạ.',
  'Ça coûte 12,50 € — déjà vu, naïve façade, Straße, Ærø, İstanbul.',
  'Emoji: 👍🏽 👨‍👩‍👧‍👦 🇫🇷 🏳️‍🌈 ❤️ 🤖🧠 ✨',
  'Math: ∀x∈ℝ, ∃y: x² + y² ≤ ∞; ∑ᵢ αᵢ βᵢ ≈ π/√2 ⟹ 𝐀𝐁 = 𝟙',
];

/** Generated numbers: long digit runs, decimals, signs, separators. */
export function numberTexts(random: () => number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = 1 + Math.floor(random() * 40);
    let digits = '';
    for (let k = 0; k < len; k++) digits += Math.floor(random() * 10);
    const forms = [
      digits,
      `-${digits}.${Math.floor(random() * 1e6)}`,
      `${Number(digits.slice(0, 12) || '0').toLocaleString('en-US')}`,
      `x_${i} = ${digits} * 10^${Math.floor(random() * 30)}`,
      `${(random() * 1e4).toExponential(6)}`,
    ];
    out.push(forms[i % forms.length]);
  }
  return out;
}

/** Random strings drawn from a mix of Unicode ranges (scalars only). */
export function randomUnicode(random: () => number, count: number, maxLength = 40): string[] {
  const ranges: Array<[number, number]> = [
    [0x20, 0x7e],
    [0x09, 0x0d],
    [0x20, 0x20],
    [0xa0, 0x24f],
    [0x300, 0x36f],
    [0x370, 0x3ff],
    [0x400, 0x4ff],
    [0x600, 0x6ff],
    [0x900, 0x97f],
    [0xe00, 0xe7f],
    [0x1100, 0x11ff],
    [0x2000, 0x206f],
    [0x3000, 0x30ff],
    [0x4e00, 0x4fff],
    [0xac00, 0xacff],
    [0xfe00, 0xfeff],
    [0x1f300, 0x1f6ff],
    [0x1d400, 0x1d7ff],
    [0x10000, 0x1007f],
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = 1 + Math.floor(random() * maxLength);
    let s = '';
    for (let k = 0; k < len; k++) {
      const [a, b] = ranges[Math.floor(random() * ranges.length)];
      s += String.fromCodePoint(a + Math.floor(random() * (b - a + 1)));
    }
    out.push(s);
  }
  return out;
}
