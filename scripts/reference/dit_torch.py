"""A PyTorch reference of vpae's toy video DiT, for timing only (scripts/bench-runtime.js).

Same sizes as experiments/lib/toy.vpae's teacher: 6 frames of 8x8x3, 1x2x2 patches (96 tokens),
width 64, 4 blocks, 4 heads, MLP ratio 4, adaLN-Zero modulation from time + prompt embeddings, a
per-(prompt, frame) token embedding, the condition frame and its mask as extra input channels, x0
prediction with the velocity loss. Rotary embeddings are left out (a small share of the work).
Usage: dit_torch.py THREADS BATCH STEPS [WIDTH [DEVICE]] (WIDTH 64 by default, the heads stay 4;
DEVICE cpu by default, or cuda). Prints one JSON line: {"threads": N, "batch": B, "width": W,
"ms_per_step": [...], "params": P, "torch": version, "blas": the BLAS library the process loaded,
"device": "cpu" or the GPU's name}. Debian's python3-torch multiplies
matrices through the system's libblas.so.3, which is the slow reference BLAS unless OpenBLAS is
installed (Debian: libopenblas0-pthread; it was ten times faster at width 256 here).
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

F_, H, W, C = 6, 8, 8, 3
PF, PH, PW = 1, 2, 2
WIDTH = int(sys.argv[4]) if len(sys.argv) > 4 else 64
DEPTH, HEADS, MLP = 4, 4, 4
CLASSES = 5  # 4 directions + the null prompt
GF, GH, GW = F_ // PF, H // PH, W // PW
TOKENS = GF * GH * GW
PATCH_IN = (2 * C + 1) * PF * PH * PW
PATCH_OUT = C * PF * PH * PW


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.out = nn.Linear(WIDTH, WIDTH)
        self.fc1 = nn.Linear(WIDTH, MLP * WIDTH)
        self.fc2 = nn.Linear(MLP * WIDTH, WIDTH)
        self.mod = nn.Linear(WIDTH, 6 * WIDTH)
        nn.init.zeros_(self.mod.weight)
        nn.init.zeros_(self.mod.bias)

    def forward(self, x, c):
        b = x.shape[0]
        s1, b1, g1, s2, b2, g2 = self.mod(c).unsqueeze(1).chunk(6, dim=-1)
        h = F.layer_norm(x, (WIDTH,)) * (1 + s1) + b1
        q, k, v = self.qkv(h).view(b, TOKENS, 3, HEADS, WIDTH // HEADS).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-1, -2) / (WIDTH // HEADS) ** 0.5, dim=-1) @ v
        x = x + g1 * self.out(a.transpose(1, 2).reshape(b, TOKENS, WIDTH))
        h = F.layer_norm(x, (WIDTH,)) * (1 + s2) + b2
        return x + g2 * self.fc2(F.silu(self.fc1(h)))


class Dit(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(PATCH_IN, WIDTH)
        self.pos = nn.Parameter(torch.randn(TOKENS, WIDTH) * 0.02)
        self.time = nn.Sequential(nn.Linear(128, WIDTH), nn.SiLU(), nn.Linear(WIDTH, WIDTH))
        self.prompt = nn.Embedding(CLASSES, WIDTH)
        self.prompt_frames = nn.Embedding(CLASSES, GF * WIDTH)
        self.blocks = nn.ModuleList([Block() for _ in range(DEPTH)])
        self.final_mod = nn.Linear(WIDTH, 2 * WIDTH)
        self.final = nn.Linear(WIDTH, PATCH_OUT)
        nn.init.zeros_(self.final.weight)

    def forward(self, xt, t, image, mask, prompt):
        b = xt.shape[0]
        cond = torch.cat([xt, image.unsqueeze(1).expand(-1, F_, -1, -1, -1) * mask.view(b, 1, 1, 1, 1), mask.view(b, 1, 1, 1, 1).expand(b, F_, H, W, 1)], dim=-1)
        p = cond.view(b, GF, PF, GH, PH, GW, PW, 2 * C + 1).permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(b, TOKENS, PATCH_IN)
        x = self.embed(p) + self.pos
        x = x + self.prompt_frames(prompt).view(b, GF, 1, WIDTH).expand(b, GF, GH * GW, WIDTH).reshape(b, TOKENS, WIDTH)
        freqs = torch.exp(-torch.arange(64, device=xt.device) * (9.21 / 64))
        te = torch.cat([torch.sin(1000 * t[:, None] * freqs), torch.cos(1000 * t[:, None] * freqs)], dim=-1)
        c = F.silu(self.time(te) + self.prompt(prompt))
        for blk in self.blocks:
            x = blk(x, c)
        sh, sc = self.final_mod(c).unsqueeze(1).chunk(2, dim=-1)
        y = self.final(F.layer_norm(x, (WIDTH,)) * (1 + sc) + sh)
        return y.view(b, GF, GH, GW, PF, PH, PW, C).permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, F_, H, W, C)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    device = torch.device(sys.argv[5] if len(sys.argv) > 5 else "cpu")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Dit().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.99))
    # the GPU runs asynchronously: a step's time ends when its work has
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    times = []
    for i in range(steps + 3):
        x0 = torch.rand(batch, F_, H, W, C, device=device) * 2 - 1
        eps = torch.randn_like(x0)
        t = torch.rand(batch, device=device)
        xt = (1 - t.view(-1, 1, 1, 1, 1)) * x0 + t.view(-1, 1, 1, 1, 1) * eps
        xt[:, 0] = x0[:, 0]
        prompt = torch.randint(0, CLASSES, (batch,), device=device)
        sync()
        start = time.perf_counter()
        out = model(xt, t, x0[:, 0], torch.ones(batch, device=device), prompt)
        w = 1 / torch.clamp(t, min=0.3).view(-1, 1, 1, 1, 1) ** 2
        loss = ((out[:, 1:] - x0[:, 1:]) ** 2 * w).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()
        if i >= 3:
            times.append((time.perf_counter() - start) * 1000)
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"threads": threads, "batch": batch, "width": WIDTH, "ms_per_step": times, "params": params, "torch": torch.__version__, "blas": blas_library(), "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"}))


def blas_library():
    """The BLAS shared library mapped into this process (its real path: Debian picks it by alternatives)."""
    import os
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1].lower()}
    real = sorted({os.path.realpath(p) for p in paths if p.startswith("/")})
    return ", ".join(real) if real else "built into torch"


if __name__ == "__main__":
    main()
