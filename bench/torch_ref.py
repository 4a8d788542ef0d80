#!/usr/bin/python3
"""PyTorch reference timings for bench/bench_vs_torch.c (run by `make bench`).

    /usr/bin/python3 bench/torch_ref.py

The same algorithms xai runs, written directly in torch the way Captum runs
them (Captum is not packaged in Debian): one batched forward over all
perturbations of a row, one batched backward for gradient methods, a least
squares solve for the surrogate methods.  One thread.  The models are
rebuilt from the same ONNX files' weights.  Prints one line per case:
    ref NAME SECONDS_PER_EXPLANATION
or `skipped REASON` when torch or onnx is missing.
"""
import os
import sys
import time

try:
    import numpy as np
    import onnx
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from onnx import numpy_helper
except ImportError as e:  # bench is not part of CI: say so and stop
    print("skipped", e)
    sys.exit(0)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def weights(path):
    m = onnx.load(path)
    return {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
            for i in m.graph.initializer}


def mlp23():
    w = weights(os.path.join(ROOT, "bench", "fixtures", "mlp23.onnx"))
    layers = []
    for i in range(8):
        lin = nn.Linear(w["%d.weight" % (2 * i)].shape[1], w["%d.weight" % (2 * i)].shape[0])
        lin.weight.data, lin.bias.data = w["%d.weight" % (2 * i)], w["%d.bias" % (2 * i)]
        layers += [lin, nn.ReLU()] if i < 7 else [lin]
    return nn.Sequential(*layers, nn.Softmax(dim=1)).eval()


class Digits(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = w

    def forward(self, x):
        w = self.w
        x = F.relu(F.conv2d(x, w["conv1.weight"], w["conv1.bias"], padding=1))
        x = F.relu(F.conv2d(x, w["conv2.weight"], w["conv2.bias"], padding=1))
        x = F.max_pool2d(x, 2)
        x = F.relu(F.conv2d(x, w["conv3.weight"], w["conv3.bias"], padding=1))
        x = x.mean(dim=(2, 3))
        return F.softmax(F.linear(x, w["fc.weight"], w["fc.bias"]), dim=1)


def target_of(model, x):
    with torch.no_grad():
        return int(model(x[None]).argmax())


def lime(model, x, base, n=1000, width=None):
    m = x.numel()
    width = width or 0.75 * m ** 0.5
    with torch.no_grad():
        t = target_of(model, x)
        off = torch.randint(1, m + 1, (n,))
        off[0] = 0
        z = (torch.rand(n, m).argsort(dim=1) >= off[:, None]).double()
        inp = torch.where(z.bool(), x, base).float()
        y = model(inp)[:, t].double()
        w = torch.exp(-off.double() / (2 * width * width)).sqrt()
        a = torch.cat([torch.ones(n, 1, dtype=torch.double), z], 1) * w[:, None]
        return torch.linalg.lstsq(a, (y * w)[:, None]).solution[1:, 0]


def kernelshap(model, x, base, n=1000):
    m = x.numel()
    with torch.no_grad():
        t = target_of(model, x)
        fx = model(x[None])[0, t].double()
        fb = model(base[None])[0, t].double()
        sizes = torch.arange(1, m)
        kw = (m - 1) / (sizes * (m - sizes)).double()
        s = sizes[torch.multinomial(kw / kw.sum(), n // 2, replacement=True)]
        z = (torch.rand(n // 2, m).argsort(dim=1) < s[:, None])
        z = torch.cat([z, ~z]).double()  # paired
        inp = torch.where(z.bool(), x, base).float()
        y = model(inp)[:, t].double()
        d = fx - fb  # efficiency: eliminate the last feature
        a = z[:, :-1] - z[:, -1:]
        b = y - fb - z[:, -1] * d
        phi = torch.linalg.lstsq(a, b[:, None]).solution[:, 0]
        return torch.cat([phi, (d - phi.sum())[None]])


def smoothgrad(model, x, n, sigma=0.15):
    t = target_of(model, x)
    inp = (x + sigma * torch.randn(n, *x.shape)).requires_grad_(True)
    model(inp)[:, t].sum().backward()
    return inp.grad.mean(0)


_RULES = {}


def gauss_legendre(n):
    """Nodes and weights on [0, 1], computed once per n (xai: once per call)."""
    if n not in _RULES:
        nodes, wts = np.polynomial.legendre.leggauss(n)
        _RULES[n] = (torch.from_numpy((nodes + 1) / 2).float(),
                     torch.from_numpy(wts / 2).float())
    return _RULES[n]


def integrated_gradients(model, x, base, n):
    t = target_of(model, x)
    a, wt = gauss_legendre(n)
    shape = (n,) + (1,) * x.dim()
    inp = (base + a.view(shape) * (x - base)).requires_grad_(True)
    model(inp)[:, t].sum().backward()
    return (x - base) * (wt.view(shape) * inp.grad).sum(0)


def smoothinv_step(model, x, n=40, sigma=0.15):
    inp = (x + sigma * torch.randn(n, *x.shape)).requires_grad_(True)
    y = model(inp)
    y.backward(torch.randn_like(y))
    return inp.grad


def timed(name, fn, rows, repeats=3):
    """Mean time per row, best of `repeats` passes (the machine is shared)."""
    fn(rows[0])  # warm up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        for r in rows:
            fn(r)
        best = min(best, (time.process_time() - t0) / len(rows))
    print("ref %s %.9g" % (name, best), flush=True)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    tab = mlp23()
    rows = [torch.randn(23) for _ in range(40)]
    base = torch.zeros(23)
    timed("mlp23/lime", lambda x: lime(tab, x, base), rows)
    timed("mlp23/kernelshap", lambda x: kernelshap(tab, x, base), rows)
    timed("mlp23/kernelshap-2048", lambda x: kernelshap(tab, x, base, 2048), rows)
    timed("mlp23/smoothgrad", lambda x: smoothgrad(tab, x, 1000), rows)
    timed("mlp23/integrated-gradients", lambda x: integrated_gradients(tab, x, base, 50),
          rows)
    cnn = Digits(weights(os.path.join(ROOT, "examples", "digits", "model.onnx")))
    imgs = [torch.rand(1, 8, 8) for _ in range(10)]
    zero = torch.zeros(1, 8, 8)
    timed("digits/smoothgrad", lambda x: smoothgrad(cnn, x, 200), imgs)
    timed("digits/integrated-gradients", lambda x: integrated_gradients(cnn, x, zero, 200),
          imgs)
    timed("digits/smoothinv-step", lambda x: smoothinv_step(cnn, x), imgs)


if __name__ == "__main__":
    main()
