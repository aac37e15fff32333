"""A stack's diagram as inline SVG, for pages that may load no script (the class page): the Mermaid
flowchart ``labctl.analysis.diagram.mermaid`` writes, read back (its own small subset: subgraphs,
nodes, links) and drawn as nested boxes (VPC > subnet > node) with straight links between them.

The same links are returned as rows (from, to, label, expected refused), so a page lists them in a
table too: the picture is never the only place a fact is shown.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

NODE_H, PAD, HEAD, CHAR_W, COLUMNS = 28, 10, 22, 6.6, 3
_OPEN = re.compile(r'^(?:subgraph\s+)?([A-Za-z0-9_]+)\s*(\(\(|\{\{|\[\(|\(\[|\[)"(.*)"')
_LINK = re.compile(r'^([A-Za-z0-9_]+)\s+(-->|---|-\.-|--\s+"(.*?)"\s+-->|-\.\s+"(.*?)"\s+\.->)\s+([A-Za-z0-9_]+)$')
_ENTITY = re.compile(r"#(\d+|quot|lt|gt);")
_NAMED = {"quot": '"', "lt": "<", "gt": ">"}


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: _NAMED.get(m.group(1)) or chr(int(m.group(1))), text)


@dataclass
class Box:
    id: str
    label: str
    children: list["Box"] = field(default_factory=list)
    container: bool = False
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0


@dataclass(frozen=True)
class Link:
    source: str  # labels, as shown
    target: str
    label: str
    refused: bool  # drawn dotted: the book expects it refused (or a node joined to the subnets it spans)


def parse(text: str) -> tuple[Box, list[tuple[str, str, str, bool]]]:
    """(the root box, links as (source id, target id, label, dotted)) of a Mermaid flowchart."""
    root = Box("root", "", container=True)
    stack = [root]
    links = []
    for raw in text.splitlines()[1:]:
        line = raw.strip()
        if line == "end":
            stack.pop()
            continue
        if line.startswith(("linkStyle", "classDef", "class ", "%%", "style ")) or not line:
            continue
        link = _LINK.match(line)
        if link:
            dotted = link.group(2).startswith("-.")
            links.append((link.group(1), link.group(5), _unescape(link.group(3) or link.group(4) or ""), dotted))
            continue
        opened = _OPEN.match(line)
        if opened:
            box = Box(opened.group(1), _unescape(opened.group(3)), container=line.startswith("subgraph"))
            stack[-1].children.append(box)
            if box.container:
                stack.append(box)
    return root, links


def _size(box: Box) -> None:
    if not box.container:
        box.w, box.h = min(max(len(box.label) * CHAR_W + 2 * PAD, 110), 300), NODE_H
        return
    for child in box.children:
        _size(child)
    leaves = [c for c in box.children if not c.container]
    groups = [c for c in box.children if c.container]
    rows = ([leaves] if leaves else []) + [groups[i:i + COLUMNS] for i in range(0, len(groups), COLUMNS)]
    width = max([sum(c.w for c in row) + PAD * (len(row) - 1) for row in rows] + [len(box.label) * CHAR_W])
    height = sum(max(c.h for c in row) for row in rows) + PAD * max(len(rows) - 1, 0)
    head = HEAD if box.label else 0
    box.w, box.h = width + 2 * PAD, height + head + 2 * PAD
    box._rows = rows  # type: ignore[attr-defined]


def _place(box: Box, x: float, y: float, at: dict[str, Box]) -> None:
    box.x, box.y = x, y
    at[box.id] = box
    if not box.container:
        return
    cy = y + PAD + (HEAD if box.label else 0)
    for row in box._rows:  # type: ignore[attr-defined]
        cx = x + PAD
        for child in row:
            _place(child, cx, cy, at)
            cx += child.w + PAD
        cy += max(c.h for c in row) + PAD


def _draw(box: Box, out: list[str], depth: int) -> None:
    label = html.escape(box.label)
    if box.container:
        if box.label:
            fill = ("#f6f8fa", "#ffffff", "#f6f8fa")[depth % 3]
            out.append(f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{box.w:.0f}" height="{box.h:.0f}" rx="6" '
                       f'fill="{fill}" stroke="#57606a"/>')
            out.append(f'<text x="{box.x + PAD:.0f}" y="{box.y + 15:.0f}" font-weight="bold">{label}</text>')
        for child in box.children:
            _draw(child, out, depth + 1)
        return
    out.append(f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{box.w:.0f}" height="{box.h:.0f}" rx="4" fill="#ddf4ff" '
               f'stroke="#0969da"/><text x="{box.x + PAD:.0f}" y="{box.y + 18:.0f}">{label}</text>')


def _edge(box: Box, towards: Box) -> tuple[float, float]:
    """Where the line from ``box``'s centre to ``towards``'s centre leaves ``box``."""
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    dx, dy = towards.x + towards.w / 2 - cx, towards.y + towards.h / 2 - cy
    if not dx and not dy:
        return cx, cy
    t = min(box.w / 2 / abs(dx) if dx else float("inf"), box.h / 2 / abs(dy) if dy else float("inf"))
    t = min(t, 1.0)
    return cx + dx * t, cy + dy * t


def svg(text: str, title: str) -> tuple[str, list[Link]]:
    """(an ``<svg>`` element with a <title>, the links as rows) of the Mermaid flowchart ``text``."""
    root, raw_links = parse(text)
    _size(root)
    at: dict[str, Box] = {}
    _place(root, 0, 0, at)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {root.w:.0f} {root.h:.0f}" '
           f'width="{root.w:.0f}" height="{root.h:.0f}" font-family="sans-serif" font-size="11">',
           f"<title>{html.escape(title)}</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a"/></marker></defs>']
    _draw(root, out, 0)
    links = []
    for source, target, label, dotted in raw_links:
        a, b = at.get(source), at.get(target)
        if a is None or b is None:
            continue
        refused = label.startswith("✗")
        dash = ' stroke-dasharray="4 3"' if dotted else ""
        colour = "#cf222e" if refused else "#57606a"
        (x1, y1), (x2, y2) = _edge(a, b), _edge(b, a)
        out.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
                   f'stroke="{colour}" stroke-opacity="0.6"{dash} marker-end="url(#arrow)">'
                   f"<title>{html.escape(f'{a.label} to {b.label} {label}'.strip())}</title></line>")
        links.append(Link(a.label, b.label, label.lstrip("✗ ").strip(), refused))
    out.append("</svg>")
    return "\n".join(out), links
