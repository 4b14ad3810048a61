export {
  cleanUpTokenization,
  Tokenizer,
  type CountTokensOptions,
  type DecodeOptions,
  type EncodeInput,
  type EncodeOptions,
  type Encoding,
  type TokenizerLoadOptions,
  type TruncationOptions,
} from './tokenizer.js';
export type { PaddingOptions } from './padding.js';
export type { EncodedWord, TokenizerModel } from './tokenizer-model.js';
export {
  charToToken,
  charToWord,
  tokenToChars,
  tokenToSequence,
  tokenToWord,
  wordToChars,
  wordToTokens,
} from './encoding-maps.js';
export type { TruncationStrategy } from './truncation.js';
export {
  applyChatTemplate,
  selectTemplate,
  type ChatMessage,
  type ChatTemplateOptions,
  type ToolCall,
} from './chat-template.js';
export {
  encodeChat,
  ENCODE_CHAT_OPTION_NAMES,
  findMessageSpans,
  locateContents,
  type EncodeChatOptions,
  type EncodedChat,
  type MessageSpan,
} from './chat-spans.js';
export { TokenizerFormatError, UnsupportedComponentError } from './errors.js';
export { hubFile, type HubOptions } from './hub.js';
export { LLAMA3_SPLIT_PATTERN, QWEN_SPLIT_PATTERN, qwenSplit } from './qwen-split.js';
export { GPT2_SPLIT_PATTERN, gpt2Split } from './gpt2-split.js';
export { BYTE_TO_CHAR, toByteLevel } from './byte-level.js';
export type {
  TokenizerJson,
  TokenizerConfigJson,
  AddedTokenJson,
  BpeModelJson,
  PaddingJson,
} from './tokenizer-json.js';
export {
  trainBpeTokenizer,
  writeTokenizerFiles,
  QWEN_STYLE_SPECIAL_TOKENS,
  type BpeTrainerOptions,
  type SpecialTokenSpec,
  type TrainedTokenizer,
} from './trainer.js';
export { qwen3ChatTemplate } from './qwen3.js';
