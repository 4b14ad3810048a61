"""The PyTorch side of benchmarks/vs-torch: the same cases as the molrl side,
driven one timed iteration at a time over stdin/stdout (one JSON object per
line), so the two implementations run interleaved in one benchmark run.

Run by vs-torch.bench.ts with Debian's python3-torch (/usr/bin/python3); its
BLAS is OpenBLAS when libopenblas0-pthread is installed. Threads: --threads.

Commands (each answered by one JSON line, {"error": ...} on failure):
  {"cmd": "info"}                               -> versions, BLAS, threads
  {"cmd": "setup", "case": {...}}               -> {"ok": true}: build the case's model and inputs
  {"cmd": "run"}                                -> {"ms": ..., "tokens": ...}: one timed iteration
  {"cmd": "row", "i": I}                        -> {"row": [...]}: row I of a matmul case's product
  {"cmd": "read", "bytes": N}                   -> {"ms": ...}: numpy sum of an N-byte float32 buffer
  {"cmd": "dispose"}                            -> {"ok": true}
  {"cmd": "quit"}
The model is Qwen3 as transformers defines it (modeling_qwen3.py, eager
attention, a concatenating KV cache like its DynamicCache), LoRA as PEFT's
Linear (base frozen, dropout 0), random weights.
"""
import argparse
import base64
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


class LoraLinear(nn.Module):
    """PEFT's lora.Linear: y = base(x) + B(A(x)) * alpha / r, the base frozen."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        # PEFT's autocast_adapter_dtype: a half-precision base gets a float32 adapter.
        self.lora_A = nn.Linear(base.in_features, r, bias=False, dtype=torch.float32)
        self.lora_B = nn.Linear(r, base.out_features, bias=False, dtype=torch.float32)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.scaling = alpha / r

    def forward(self, x):
        result = self.base(x)
        # PEFT casts the input to the adapter's dtype and adds the adapter's part to the base result.
        return result + (self.lora_B(self.lora_A(x.to(self.lora_A.weight.dtype))) * self.scaling).to(result.dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, d = c["hidden_size"], c["head_dim"]
        self.hq, self.hkv, self.d = c["num_attention_heads"], c["num_key_value_heads"], d
        eps = c["rms_norm_eps"]
        self.input_layernorm = RMSNorm(h, eps)
        self.q_proj = nn.Linear(h, self.hq * d, bias=False)
        self.k_proj = nn.Linear(h, self.hkv * d, bias=False)
        self.v_proj = nn.Linear(h, self.hkv * d, bias=False)
        self.o_proj = nn.Linear(self.hq * d, h, bias=False)
        self.q_norm = RMSNorm(d, eps)
        self.k_norm = RMSNorm(d, eps)
        self.post_attention_layernorm = RMSNorm(h, eps)
        self.gate_proj = nn.Linear(h, c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(h, c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], h, bias=False)

    def forward(self, x, cos, sin, cache, layer_index):
        b, t, _ = x.shape
        hid = self.input_layernorm(x)
        q = self.q_norm(self.q_proj(hid).view(b, t, self.hq, self.d)).transpose(1, 2)
        k = self.k_norm(self.k_proj(hid).view(b, t, self.hkv, self.d)).transpose(1, 2)
        v = self.v_proj(hid).view(b, t, self.hkv, self.d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if len(cache) > layer_index:
                pk, pv = cache[layer_index]
                k = torch.cat([pk, k], dim=2)
                v = torch.cat([pv, v], dim=2)
                cache[layer_index] = (k, v)
            else:
                cache.append((k, v))
        s = k.shape[2]
        groups = self.hq // self.hkv
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.d)
        if t > 1:
            mask = torch.full((t, s), float("-inf"), dtype=scores.dtype).triu(s - t + 1)
            scores = scores + mask
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        att = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, self.hq * self.d)
        x = x + self.o_proj(att)
        hid = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(hid)) * self.up_proj(hid))


class Qwen3(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        d = c["head_dim"]
        self.register_buffer(
            "inv_freq", 1.0 / (c["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float32) / d)), persistent=False
        )

    def lm_head_weight(self):
        return self.embed_tokens.weight  # tied, as in the cases measured

    def hidden(self, ids, positions, cache=None):
        x = self.embed_tokens(ids)
        freqs = positions[:, None, :, None].float() * self.inv_freq[None, None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, cache, i)
        return self.norm(x)

    def logits(self, hidden):
        return F.linear(hidden, self.lm_head_weight())


def build_model(c, seed, dtype):
    torch.manual_seed(seed)
    model = Qwen3(c)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not name.endswith("norm.weight"):
                p.normal_(0.0, c.get("initializer_range", 0.02))
    return model.to(dtype)


def apply_lora(model, r, alpha):
    model.requires_grad_(False)
    targets = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    for layer in model.layers:
        for name in targets:
            setattr(layer, name, LoraLinear(getattr(layer, name), r, alpha))
    return [p for n, p in model.named_parameters() if "lora_" in n]


class TrainCase:
    def __init__(self, spec):
        c = spec["config"]
        self.model = build_model(c, 1, torch.float32).train()
        b, t = spec["batch"], spec["tokens"]
        v = c["vocab_size"]
        if spec.get("lora"):
            params = apply_lora(self.model, spec["lora"]["r"], spec["lora"]["alpha"])
        else:
            params = list(self.model.parameters())
        self.opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.1)
        self.ids = (torch.arange(b * t).view(b, t) * 7919 + 13) % v
        self.targets = (self.ids + 1) % v
        self.positions = torch.arange(t).expand(b, t)
        self.tokens = b * t

    def run(self):
        t0 = time.perf_counter()
        hidden = self.model.hidden(self.ids, self.positions)
        logits = self.model.logits(hidden)
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), self.targets.view(-1))
        loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return {"ms": (time.perf_counter() - t0) * 1000, "tokens": self.tokens}


class DecodeCase:
    def __init__(self, spec):
        c = spec["config"]
        dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[spec.get("dtype", "float32")]
        self.model = build_model(c, 2, dtype).eval()
        if spec.get("lora"):
            apply_lora(self.model, spec["lora"]["r"], spec["lora"]["alpha"])
        b, p = spec["batch"], spec["prompt"]
        self.ids = (torch.arange(b * p).view(b, p) * 31 + 100) % c["vocab_size"]
        self.new_tokens = spec["newTokens"]
        self.batch = b

    @torch.no_grad()
    def run(self):
        cache = []
        b, p = self.ids.shape
        hidden = self.model.hidden(self.ids, torch.arange(p).expand(b, p), cache)
        tok = self.model.logits(hidden[:, -1:]).argmax(-1)  # the prefill's token
        t0 = time.perf_counter()
        for step in range(1, self.new_tokens):
            pos = torch.full((b, 1), p + step - 1, dtype=torch.long)
            hidden = self.model.hidden(tok, pos, cache)
            tok = self.model.logits(hidden).argmax(-1)
        ms = (time.perf_counter() - t0) * 1000
        return {"ms": ms, "tokens": self.batch * (self.new_tokens - 1)}


class MatmulCase:
    def __init__(self, spec):
        n = spec["n"]
        if "a" in spec:  # the caller's inputs: float32 bytes, base64
            self.a = torch.from_numpy(np.frombuffer(base64.b64decode(spec["a"]), dtype=np.float32).reshape(n, n).copy())
            self.b = torch.from_numpy(np.frombuffer(base64.b64decode(spec["b"]), dtype=np.float32).reshape(n, n).copy())
        else:
            g = torch.Generator().manual_seed(0)
            self.a = torch.rand(n, n, generator=g) * 2 - 1
            self.b = torch.rand(n, n, generator=g) * 2 - 1
        # Stored transposed, multiplied through a transposed view: BLAS gets the transpose flag.
        if spec.get("transposeA"):
            self.a = self.a.t().contiguous().t()
        if spec.get("transposeB"):
            self.b = self.b.t().contiguous().t()
        self.flop = 2 * n**3

    def run(self):
        t0 = time.perf_counter()
        torch.mm(self.a, self.b)
        return {"ms": (time.perf_counter() - t0) * 1000, "flop": self.flop}

    def row(self, i):
        return {"row": torch.mm(self.a, self.b)[i].tolist()}


CASES = {"train": TrainCase, "decode": DecodeCase, "matmul": MatmulCase}


def blas_name():
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower()}
        return ", ".join(sorted(p.rsplit("/", 1)[-1] for p in libs)) or "unknown"
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    case = None
    read_buf = None
    for line in sys.stdin:
        try:
            msg = json.loads(line)
            cmd = msg["cmd"]
            if cmd == "quit":
                break
            if cmd == "info":
                torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # loads the BLAS
                out = {"torch": torch.__version__, "numpy": np.__version__, "threads": torch.get_num_threads(), "blas": blas_name()}
            elif cmd == "setup":
                case = None
                spec = msg["case"]
                case = CASES[spec["kind"]](spec)
                out = {"ok": True}
            elif cmd == "run":
                if case is None:
                    raise RuntimeError("run before setup")
                out = case.run()
            elif cmd == "row":
                if not isinstance(case, MatmulCase):
                    raise RuntimeError("row needs a matmul case")
                out = case.row(msg["i"])
            elif cmd == "read":
                n = msg["bytes"] // 4
                if read_buf is None or read_buf.size != n:
                    read_buf = None
                    read_buf = np.ones(n, dtype=np.float32)
                t0 = time.perf_counter()
                s = float(read_buf.sum())
                out = {"ms": (time.perf_counter() - t0) * 1000, "check": s}
            elif cmd == "dispose":
                case = None
                read_buf = None
                out = {"ok": True}
            else:
                raise ValueError(f"unknown command {cmd!r}")
        except Exception as err:  # reported to the driver, which names the case
            out = {"error": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
