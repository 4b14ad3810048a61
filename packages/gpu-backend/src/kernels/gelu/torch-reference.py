"""PyTorch values of gelu (tanh form) and its gradient, for cpu.test.ts.

Run with Debian's python3-torch (the python3 first on PATH may not have torch):
    /usr/bin/python3 packages/gpu-backend/src/kernels/gelu/torch-reference.py
Writes fixtures/torch-reference.json beside this script.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.cat([torch.randn(200) * 4, torch.tensor([0.0, -0.0, 1e-8, 3.0, -3.0, 10.0, -10.0, 1e4, -1e4])])
x.requires_grad_(True)
y = F.gelu(x, approximate="tanh")
dy = torch.randn_like(y)
y.backward(dy)

out = {
    "torch": torch.__version__,
    "x": x.detach().tolist(),
    "y": y.detach().tolist(),
    "dy": dy.tolist(),
    "dx": x.grad.tolist(),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "torch-reference.json")
with open(path + ".tmp", "w") as f:
    json.dump(out, f)
os.replace(path + ".tmp", path)
print("wrote", path)
