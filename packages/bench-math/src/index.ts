export { parse, verify, grade, type Grade, type Verdict } from './grader/verify.js';
export { extractAnswer, lastBoxed, stripThinking } from './grader/extract.js';
export { parseAnswerText, normalizeAnswerText } from './grader/structure.js';
export { valuesEqual, exprEqual, type EqualOptions } from './grader/equal.js';
export { formatValue, type Answer, type MathValue } from './grader/answer.js';
export {
  BUILTIN_BENCHMARKS,
  DatasetError,
  loadBenchmark,
  loadBuiltin,
  loadJsonl,
  parseJsonl,
  rowsToProblems,
} from './datasets.js';
export type { Benchmark, BuiltinBenchmark, HubDatasetOptions, Problem, RowFields } from './datasets.js';
export {
  PAPER_PROFILE,
  toMessages,
  validateProfile,
  type ChatMessage,
  type GenerateOptions,
  type Generator,
  type Prompt,
  type SamplingProfile,
} from './run/generator.js';
export { openaiGenerator, type OpenAIGeneratorOptions } from './run/openai-generator.js';
export {
  modelGenerator,
  type CausalLM,
  type ChatTokenizer,
  type ModelGeneratorOptions,
} from './run/model-generator.js';
export { mapConcurrent } from './run/limit.js';
export { passAtK, meanPassAtK } from './run/pass-at-k.js';
export {
  wilsonInterval,
  bootstrapMean,
  pairedBootstrapDifference,
  normalQuantile,
  quantile,
  DEFAULT_BOOTSTRAP_SEED,
  type Interval,
  type PairedDifference,
  type BootstrapOptions,
} from './run/stats.js';
export {
  MATH_INSTRUCTION,
  mathPrompt,
  mathSuite,
  type CheckResult,
  type CheckVerdict,
  type EvalItem,
  type EvalSuite,
  type MathSuiteOptions,
} from './run/suite.js';
export { SampleCache, sampleKey, type SampleRecord } from './run/cache.js';
export { evaluate, type EvaluateOptions } from './run/evaluate.js';
export {
  buildReport,
  renderMarkdown,
  writeReport,
  type EvaluationReport,
  type GroupScore,
  type SuiteResult,
} from './run/report.js';
export {
  checkCodeTask,
  codeAgentSuite,
  type CodeAgentSuiteOptions,
  type CodeAgentTask,
  type CodeCheckerOptions,
} from './run/code-agent.js';
// The sandbox's shapes, from @molrl/sandbox-api (a dependency without dependencies).
export type { RewardSandbox, SandboxRewardCallOptions, SandboxRunOutcome } from '@molrl/sandbox-api';
export {
  startChatServer,
  type ChatReply,
  type ChatRequestBody,
  type ChatServer,
  type ChatServerOptions,
} from './run/chat-server.js';
