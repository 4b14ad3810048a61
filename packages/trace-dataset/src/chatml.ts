/**
 * Qwen3's own chat template drops think blocks from every assistant turn of a
 * tool-using conversation except a final one (it keeps reasoning only after the
 * last user query, and only for the last turn or a non-empty reasoning), so the
 * paper's empty `<think>\n\n</think>` blocks in decisions would vanish. This
 * ChatML template writes every content verbatim (think blocks kept) and wraps
 * tool messages exactly as Qwen3's does (`<|im_start|>user\n<tool_response>\n...`).
 * Pass it as `chatTemplate` to keep think blocks in every decision.
 */
export const CHATML_VERBATIM_TEMPLATE = `{%- for message in messages %}
{%- if message.role == 'tool' %}
{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}
{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}
{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}
{%- else %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}`;
