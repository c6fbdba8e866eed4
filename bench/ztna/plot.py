#!/usr/bin/env python3
"""bench/ztna/plot.py RESULTS_DIR OUT.svg: one panel per measurement of
bench/ztna/run, Tandem's and the baseline's median as bars with min..max
whiskers and every run as a dot. Writes the SVG by hand (no matplotlib on
the lab machines, as bench/pickup/failover.py does)."""
import os
import statistics
import sys

PANELS = [  # title, unit, (label, file) ...
    ("full mTLS handshakes", "/s", [("Tandem", "tandem.full"), ("nginx", "nginx.full")]),
    ("resumed handshakes", "/s", [("Tandem", "tandem.resume"), ("nginx", "nginx.resume")]),
    ("keep-alive requests", "/s", [("Tandem", "tandem.keepalive"), ("nginx", "nginx.keepalive")]),
    ("bulk", "MB/s", [("Tandem", "tandem.bulk"), ("nginx", "nginx.bulk"), ("openssl speed", "openssl.bulk")]),
]
COLOURS = {"Tandem": "#2b6cb0", "nginx": "#718096", "openssl speed": "#c05621"}
PW, PH, TOP, BOTTOM = 220, 240, 40, 40


def values(d, name):
    try:
        with open(os.path.join(d, name)) as f:
            return [float(x) for x in f.read().split()]
    except (OSError, ValueError):
        return []


def panel(x0, title, unit, series, d):
    out = [f'<text x="{x0 + PW / 2}" y="20" text-anchor="middle" font-size="13">{title} ({unit})</text>']
    data = [(label, values(d, f)) for label, f in series]
    top = max([max(v) for _, v in data if v] or [1]) * 1.1
    scale = (PH - TOP - BOTTOM) / top
    base = PH - BOTTOM
    out.append(f'<line x1="{x0 + 10}" y1="{base}" x2="{x0 + PW - 10}" y2="{base}" stroke="black"/>')
    bw = (PW - 40) / len(data)
    for i, (label, v) in enumerate(data):
        bx = x0 + 20 + i * bw
        colour = COLOURS.get(label, "#444")
        if v:
            med = statistics.median(v)
            out.append(f'<rect x="{bx + 6}" y="{base - med * scale:.1f}" width="{bw - 12:.1f}" '
                       f'height="{med * scale:.1f}" fill="{colour}" opacity="0.8"/>')
            cx = bx + bw / 2
            out.append(f'<line x1="{cx}" y1="{base - min(v) * scale:.1f}" x2="{cx}" '
                       f'y2="{base - max(v) * scale:.1f}" stroke="black"/>')
            for y in v:
                out.append(f'<circle cx="{cx + 8}" cy="{base - y * scale:.1f}" r="2" fill="black"/>')
            out.append(f'<text x="{cx}" y="{base - max(v) * scale - 6:.1f}" text-anchor="middle" '
                       f'font-size="11">{med:.0f}</text>')
        out.append(f'<text x="{bx + bw / 2}" y="{base + 16}" text-anchor="middle" font-size="11">{label}</text>')
    return out


def main():
    d, svg = sys.argv[1], sys.argv[2]
    w = PW * len(PANELS)
    body = []
    for i, (title, unit, series) in enumerate(PANELS):
        body += panel(i * PW, title, unit, series, d)
    with open(svg, "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{PH}" font-family="sans-serif">\n'
                f'<rect width="{w}" height="{PH}" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n")


if __name__ == "__main__":
    main()
