/**
 * The default model's pretraining corpus, in the environment's language, as
 * chats (lists of messages):
 *
 *  - one-step answers to generated classic tasks, as a noisy web corpus would
 *    have them: the task's correct `solve` some of the time (correctShare)
 *    and one of its realistic mistakes otherwise;
 *  - optionally, extraction chats (a task in, `solve(<its input>)` out, under
 *    their own system prompt), a copy curriculum (the one-step harness passes
 *    the input, so the default uses none);
 *  - multi-step agent traces of classic tasks whose actions really ran in the
 *    sandbox.
 *
 * Nothing of the depot library is in it (no depot task, no trace of one): the
 * library is what the environment's feedback brings, so a model pretrained
 * here lacks that knowledge by construction (docs/environment.md).
 *
 * Held-out documents of the same distribution (`probeDocuments`) measure what
 * training on the environment costs a model in general ability.
 */
import { TASK_KINDS, Rng, generateTasks, generateTraces, solveSignature, type Task } from '@molrl/trace-dataset';
import type { ProgressOptions } from '@molrl/progress';
import { compactTrace, oneStepAnswer, oneStepMessages } from './env-text.js';

export interface ChatMessage {
  role: string;
  content: string;
}

/** The system prompt of the extraction chats: their own, so a model tells them from one-step answers. */
export const EXTRACTION_SYSTEM_PROMPT = "Write the call of solve on the task's input.";

/** Seeds of the corpus's task streams (offset by the corpus seed), apart from the pipeline's 100000s and up. */
export const CORPUS_SEEDS = { oneStep: 1000, traces: 2000, extractions: 5000 } as const;
/** Seed of the held-out probe documents: no corpus, pipeline or check stream uses it. */
export const PROBE_SEED = 700_000;

export interface CorpusOptions {
  seed: number;
  /** One-step answers (classic kinds in rotation). */
  oneStep: number;
  /** Extraction chats (classic kinds in rotation). */
  extractions: number;
  /** Agent traces of classic kinds, run in the sandbox. */
  traces: number;
  /** Share of classic one-step answers with the correct `solve` (default 0.6). */
  correctShare?: number;
  progress?: ProgressOptions;
}

export interface PretrainCorpus {
  oneStep: ChatMessage[][];
  extractions: ChatMessage[][];
  traces: ChatMessage[][];
}

const CLASSIC_KIND_NAMES = TASK_KINDS.map((k) => k.name);

/** The code a corpus answer carries for a classic task: the correct `solve` or one of its mistakes. */
function corpusCode(task: Task, rng: Rng, correctShare: number): string {
  return rng.next() < correctShare || task.mistakes.length === 0 ? task.solution : rng.pick(task.mistakes).code;
}

/** A one-step chat: the one-step prompt (naming the `solve` signature), then an answer with the given code. */
export function oneStepChat(task: Task, code: string): ChatMessage[] {
  return [
    ...oneStepMessages({ question: task.question, signature: solveSignature(task) }),
    { role: 'assistant', content: oneStepAnswer(code) },
  ];
}

export function extractionChat(task: Task): ChatMessage[] {
  return [
    { role: 'system', content: EXTRACTION_SYSTEM_PROMPT },
    { role: 'user', content: task.question },
    { role: 'assistant', content: `solve(${task.args})` },
  ];
}

export async function buildPretrainCorpus(options: CorpusOptions): Promise<PretrainCorpus> {
  const correctShare = options.correctShare ?? 0.6;
  const rng = new Rng(options.seed);
  const oneStep = generateTasks(options.oneStep, CORPUS_SEEDS.oneStep + options.seed, {
    kinds: CLASSIC_KIND_NAMES,
  }).map((task) => oneStepChat(task, corpusCode(task, rng, correctShare)));
  const extractions = generateTasks(options.extractions, CORPUS_SEEDS.extractions + options.seed, {
    kinds: CLASSIC_KIND_NAMES,
  }).map(extractionChat);
  const traces =
    options.traces > 0
      ? (
          await generateTraces({
            count: options.traces,
            seed: CORPUS_SEEDS.traces + options.seed,
            kinds: CLASSIC_KIND_NAMES,
            ...(options.progress ? { progress: options.progress } : {}),
          })
        ).map((t) => compactTrace(t.messages) as ChatMessage[])
      : [];
  return { oneStep, extractions, traces };
}

/**
 * Held-out documents of the pretraining distribution for the general-ability
 * probe: one-step answers to classic tasks (correct with `correctShare`, the
 * corpus's default share; a mistake otherwise) from a seed nothing else uses.
 * The run's probe keeps the default, whatever share built the model, so every
 * report measures the same documents.
 */
export function probeDocuments(count: number, correctShare = 0.6): ChatMessage[][] {
  const rng = new Rng(PROBE_SEED + 1);
  return generateTasks(count, PROBE_SEED, { kinds: CLASSIC_KIND_NAMES }).map((task) =>
    oneStepChat(task, corpusCode(task, rng, correctShare)),
  );
}

/** Every message text of the corpus, for tests that look for leaked knowledge. */
export function corpusTexts(corpus: PretrainCorpus): string[] {
  return [...corpus.oneStep, ...corpus.extractions, ...corpus.traces].flatMap((chat) => chat.map((m) => m.content));
}
