"""Reference values from PyTorch for the cpu kernel tests.

Run with Debian's python3 (PyTorch 1.13):
    /usr/bin/python3 packages/gpu-backend/scripts/torch-reference.py
Writes packages/gpu-backend/src/cpu/fixtures/torch-reference.json.
"""
import json
import os

import torch

torch.manual_seed(0)
out = {}


def tolist(t):
    return t.detach().reshape(-1).tolist()


# float16 / bfloat16 conversion: random values over many binades plus edges.
values = torch.cat([
    torch.randn(200) * torch.exp2(torch.randint(-30, 20, (200,)).float()),
    torch.tensor([0.0, -0.0, 1.0, 65504.0, 65519.99, 65520.0, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 1e-8, 3.4e38, -3.4e38]),
])
out["convert"] = {
    "values": tolist(values),
    "float16Bits": [b & 0xFFFF for b in values.to(torch.float16).view(torch.int16).tolist()],
    "bfloat16Bits": [b & 0xFFFF for b in values.to(torch.bfloat16).view(torch.int16).tolist()],
}


# Rotary embedding exactly as transformers' Qwen3RotaryEmbedding + apply_rotary_pos_emb.
def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


rope_cases = []
for theta, B, H, T, D in [(1_000_000.0, 2, 3, 4, 8), (10_000.0, 1, 2, 3, 16)]:
    x = torch.randn(B, H, T, D)
    positions = torch.tensor([[0, 1, 5000, 32767], [7, 8, 9, 100000]][:B])[:, :T]
    inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
    freqs = (inv_freq[None, :, None].float().expand(B, -1, 1) @ positions[:, None, :].float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos = emb.cos()[:, None]
    sin = emb.sin()[:, None]
    y = x * cos + rotate_half(x) * sin
    rope_cases.append({"theta": theta, "shape": [B, H, T, D], "x": tolist(x), "positions": tolist(positions), "y": tolist(y)})
out["rope"] = rope_cases


# Qwen3RMSNorm forward and backward.
x = torch.randn(3, 5, 16, requires_grad=True)
w = (torch.rand(16) + 0.5).requires_grad_(True)
eps = 1e-6
variance = x.pow(2).mean(-1, keepdim=True)
y = w * (x * torch.rsqrt(variance + eps))
dy = torch.randn_like(y)
y.backward(dy)
out["rmsNorm"] = {"shape": [3, 5, 16], "eps": eps, "x": tolist(x), "weight": tolist(w), "y": tolist(y), "dy": tolist(dy),
                  "dx": tolist(x.grad), "dweight": tolist(w.grad)}


# torch.optim.AdamW, three steps.
p = torch.nn.Parameter(torch.randn(37))
opt = torch.optim.AdamW([p], lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
steps = []
p0 = tolist(p)
for step in range(3):
    g = torch.randn(37)
    p.grad = g.clone()
    opt.step()
    st = opt.state[p]
    steps.append({"grad": tolist(g), "param": tolist(p), "m": tolist(st["exp_avg"]), "v": tolist(st["exp_avg_sq"])})
out["adamw"] = {"lr": 1e-2, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weightDecay": 0.1, "param0": p0, "steps": steps}

path = os.path.join(os.path.dirname(__file__), "..", "src", "cpu", "fixtures", "torch-reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
