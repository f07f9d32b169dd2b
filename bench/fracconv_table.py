#!/usr/bin/env python3
"""The gate-density sweep of bench/fracconv_bench.cc as a Markdown table and an SVG plot.

    ./build/bin/bnnkit_bench --benchmark_filter=fracconv --benchmark_out=fc.json --benchmark_out_format=json
    python3 bench/fracconv_table.py fc.json --svg docs/fracconv_sweep.svg

Reads the medians (Google Benchmark's aggregates) and prints one row per density: the automatic LSB pass, the
forced sparse and forced dense passes, as times and as multiples of the 1-bit conv and of the dense 2-bit conv,
and the paired ratio (the automatic pass and the 1-bit conv alternating call by call, `.../paired`).
The plot draws the three as time / 1-bit time against the measured density. Standard library only.
"""
import argparse
import json
import re
import sys

NAME = re.compile(r"^fracconv/(?P<shape>[^/]+)/(?P<what>1bit|dense2bit|d(?P<p>\d+))(?:/(?P<path>sparse|dense|paired))?")


def load(path):
    with open(path) as f:
        run = json.load(f)
    rows = {}
    for b in run["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        m = NAME.match(b["run_name"])
        if not m:
            continue
        key = (m["what"], m["path"] or "auto")
        rows[key] = b
    return run.get("context", {}), rows


def us(b):
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "ns")]
    return b["cpu_time"] * scale


def svg_plot(series, one_bit_us, dense_us, out):
    w, h, left, right, top, bottom = 640, 400, 60, 160, 20, 50
    ymax = max(max(y for _, y in pts) for pts in series.values()) * 1.1
    ymax = max(ymax, dense_us / one_bit_us * 1.1)

    def px(x, y):
        return left + x * (w - left - right), top + (1 - y / ymax) * (h - top - bottom)

    colors = {"auto": "#1f77b4", "sparse": "#d62728", "dense": "#2ca02c"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
             f'font-size="12"><rect width="{w}" height="{h}" fill="white"/>']
    # Axes, grid and labels.
    x0, y0 = px(0, 0)
    x1, y1 = px(1, ymax)
    parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="black"/>')
    parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="black"/>')
    for i in range(0, 11, 2):  # x ticks every 20 %
        x, _ = px(i / 10, 0)
        parts.append(f'<text x="{x}" y="{y0 + 16}" text-anchor="middle">{i * 10}%</text>')
    step = 0.5 if ymax <= 5 else 1.0
    v = 0.0
    while v <= ymax:
        _, y = px(0, v)
        parts.append(f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#ddd"/>')
        parts.append(f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end">{v:.1f}</text>')
        v += step
    parts.append(f'<text x="{(x0 + x1) / 2}" y="{h - 12}" text-anchor="middle">gate density (outputs that take '
                 'the LSB pass)</text>')
    parts.append(f'<text x="16" y="{(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 16 '
                 f'{(y0 + y1) / 2})">time / 1-bit conv time</text>')
    # Reference lines: the 1-bit conv (1.0) and the dense 2-bit conv.
    for value, label, dash in ((1.0, "1-bit conv", "4 3"), (dense_us / one_bit_us, "dense 2-bit", "8 3")):
        _, y = px(0, value)
        parts.append(f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#555" stroke-dasharray="{dash}"/>')
        parts.append(f'<text x="{x1 + 6}" y="{y + 4}">{label}</text>')
    for i, (name, pts) in enumerate(sorted(series.items())):
        pts = sorted(pts)
        path = " ".join(f"{'M' if j == 0 else 'L'}{px(x, y)[0]:.1f},{px(x, y)[1]:.1f}" for j, (x, y) in enumerate(pts))
        parts.append(f'<path d="{path}" fill="none" stroke="{colors[name]}" stroke-width="2"/>')
        for x, y in pts:
            cx, cy = px(x, y)
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{colors[name]}"/>')
        lx, ly = x1 + 6, top + 20 + 18 * i + 60
        parts.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 18}" y2="{ly - 4}" stroke="{colors[name]}" '
                     'stroke-width="2"/>')
        parts.append(f'<text x="{lx + 24}" y="{ly}">{name} LSB pass</text>')
    parts.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("json", help="bnnkit_bench --benchmark_out JSON with the fracconv entries")
    ap.add_argument("--svg", help="write the plot here")
    a = ap.parse_args()
    context, rows = load(a.json)
    one, two = rows.get(("1bit", "auto")), rows.get(("dense2bit", "auto"))
    if one is None or two is None:
        sys.exit("fracconv_table.py: the run has no fracconv/.../1bit and .../dense2bit medians")
    t1, t2 = us(one), us(two)
    print(f"Run of {context.get('date', '?')}; 1-bit conv {t1:.1f} us ({one.get('label', '')}), dense 2-bit conv "
          f"{t2:.1f} us = {t2 / t1:.2f}x the 1-bit conv.\n")
    print("| target density | measured density | auto (us) | x 1-bit | x 1-bit, paired | x dense 2-bit | sparse (us) "
          "| x 1-bit | dense (us) | x 1-bit |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    series = {"auto": [], "sparse": [], "dense": []}
    for p in sorted({int(w[1:]) for w, _ in rows if w.startswith("d") and w[1:].isdigit()}):
        auto, sp, de, pa = (rows.get((f"d{p}", k)) for k in ("auto", "sparse", "dense", "paired"))
        if auto is None:
            continue
        d = auto.get("density", 0.0)
        paired = f"{pa['x_1bit']:.2f}" if pa is not None and "x_1bit" in pa else ""
        cells = [f"{p} %", f"{100 * d:.1f} %", f"{us(auto):.1f}", f"{us(auto) / t1:.2f}", paired,
                 f"{us(auto) / t2:.2f}"]
        for b in (sp, de):
            cells += [f"{us(b):.1f}", f"{us(b) / t1:.2f}"] if b else ["", ""]
        print("| " + " | ".join(cells) + " |")
        for name, b in (("auto", auto), ("sparse", sp), ("dense", de)):
            if b is not None:
                series[name].append((b.get("density", 0.0), us(b) / t1))
    if a.svg:
        svg_plot({k: v for k, v in series.items() if v}, t1, t2, a.svg)


if __name__ == "__main__":
    main()
