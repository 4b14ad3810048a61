"""PyTorch side of benchmarks/sampling: one decode step's sampling as
transformers' generate does it on [rows, vocab] float32 logits (the logits
processors in its order: presence penalty as vLLM applies it, temperature,
TopKLogitsWarper, TopPLogitsWarper; then softmax and torch.multinomial).

  /usr/bin/python3 torch_sampling.py --rows 64 --vocab 151936 --rounds 15 --threads 2 [--mode eval|temperature]

--mode temperature: GRPO's rollout setting (temperature 0.9 alone).

Prints one JSON line: {"ms": median, "rounds": n, "torch": version}.
"""
import argparse
import json
import time

import torch


def sample_step(logits, generated, temperature, top_k, top_p, presence):
    scores = logits.clone()
    # presence penalty: subtract once from every token already generated (vLLM / OpenAI)
    seen = torch.zeros_like(scores, dtype=torch.bool).scatter_(1, generated, True)
    scores = scores - presence * seen.to(scores.dtype)
    scores = scores / temperature
    # TopKLogitsWarper
    kth = torch.topk(scores, top_k)[0][..., -1, None]
    scores = scores.masked_fill(scores < kth, -float("inf"))
    # TopPLogitsWarper
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    sorted_remove = cumulative <= (1 - top_p)
    sorted_remove[..., -1:] = 0
    remove = sorted_remove.scatter(1, sorted_indices, sorted_remove)
    scores = scores.masked_fill(remove, -float("inf"))
    probs = torch.softmax(scores, dim=-1)
    return torch.multinomial(probs, num_samples=1).squeeze(1)


def sample_temperature(logits, temperature):
    """GRPO's rollout sampling (TRL's defaults: no top-k, top-p 1): temperature, softmax, multinomial."""
    probs = torch.softmax(logits / temperature, dim=-1)
    return torch.multinomial(probs, num_samples=1).squeeze(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--generated", type=int, default=32)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--mode", choices=["eval", "temperature"], default="eval")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(a.rows, a.vocab, generator=g) * 3
    generated = torch.randint(0, a.vocab, (a.rows, a.generated), generator=g)
    times = []
    for i in range(a.rounds + 2):
        t0 = time.perf_counter()
        if a.mode == "eval":
            sample_step(logits, generated, 0.6, 20, 0.95, 1.0)
        else:
            sample_temperature(logits, 0.9)
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(json.dumps({"ms": times[len(times) // 2], "rounds": len(times), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
