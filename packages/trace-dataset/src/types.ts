/** Shared types of trace-dataset. */

/** A chat message as a data set stores it: `content` is a string or smolagents' list of parts. */
export interface RawMessage {
  role: string;
  content: string | Array<{ type?: string; text?: string | null; [key: string]: unknown }> | null;
  [key: string]: unknown;
}

/** A message after normalisation: string content, the data set's role kept. */
export interface TraceMessage {
  role: string;
  content: string;
  reasoning_content?: string | null;
  [key: string]: unknown;
}

/**
 * Per-token MoL label:
 * - `prompt`: system prompt and task (x): no loss;
 * - `decision`: the model's turns (y_t): KL to the base model;
 * - `feedback`: the environment's answers (f_t): cross-entropy;
 * - `glue`: template tokens outside any message (headers, wrappers): no loss.
 */
export type TokenLabel = 'prompt' | 'decision' | 'feedback' | 'glue';

/**
 * A labelled trace. `emptyThink[i]` marks decision tokens that belong to an empty
 * `<think>\n\n</think>` block (the EETB ablation excludes them from the loss);
 * it is a parallel array rather than a label variant so that code which only
 * knows the four labels keeps working.
 */
export interface LabelledTrace {
  ids: number[];
  labels: TokenLabel[];
  emptyThink: boolean[];
}

/** One decision/feedback step of a parsed trace. */
export interface TraceStep {
  /** The decision text (thought + code), as the assistant wrote it. */
  decision: string;
  /** Python code blocks found in the decision (and its tool call). */
  code: string[];
  /** The environment's answer(s) to this decision, joined. */
  feedback: string;
}

/** A trace parsed into the interaction structure x, y1, f1, ..., yT, fT. */
export interface Trace {
  /** A stable identifier (the data set's id column, else `<source>#<row>`). */
  id: string;
  /** The messages, content normalised to strings, roles as the data set names them. */
  messages: TraceMessage[];
  system: string;
  task: string;
  steps: TraceStep[];
  /** The argument of the last `final_answer(...)` seen in the code, when any. */
  finalAnswer: string | null;
  /** Other columns of the row (ground truth, model id, score...), kept as given. */
  meta: Record<string, unknown>;
  /** Content parts left out because they carry no text (e.g. `{ image: 2 }`); absent when there were none. */
  nonTextParts?: Record<string, number>;
}
