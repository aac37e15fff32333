"""What `labctl validate` prints and writes: a table per cohort of stacks, every finding on one
line, the JSON for tools and the Markdown for a pull-request comment."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cloudlabs.writing import atomic_write

from .summary import print_findings, ready_text
from .validation import StackValidation, suppression_table


def report(checks: list[StackValidation], args: argparse.Namespace, out: Console) -> None:
    table = Table(title=f"Deploy-readiness: {sum(1 for c in checks if c.ready)} of {len(checks)} stacks ready",
                  title_justify="left")
    for column in ("stack", "deploy-ready", "findings", "suppressed", "not validated"):
        table.add_column(column, justify="right" if column in ("findings", "suppressed", "not validated") else "left")
    for c in checks:
        table.add_row(c.stack, ready_text(c), str(len(c.findings)), str(len(c.suppressed)), str(len(c.not_validated)))
    out.print(table)
    print_findings(checks, out, show_suppressed=args.all)
    if args.all:
        for c in checks:
            for item in c.not_validated:
                out.print(f"not validated: {c.stack}: {item}", markup=False, soft_wrap=True)
    if args.json_file:
        text = json.dumps([c.to_json() for c in checks], indent=2, sort_keys=True, default=str) + "\n"
        if args.json_file == "-":
            sys.stdout.write(text)
        else:
            atomic_write(Path(args.json_file), text)
    if args.markdown:
        text = markdown(checks)
        if args.markdown == "-":
            sys.stdout.write(text)
        else:
            atomic_write(Path(args.markdown), text)


def markdown(checks: list[StackValidation]) -> str:
    ready = sum(1 for c in checks if c.ready)
    lines = ["## Deploy-readiness (AWS resource schemas and deploy rules)", "",
             f"{ready} of {len(checks)} stacks would be accepted by AWS as planned."]
    findings = [f for c in checks for f in c.findings]
    if findings:
        lines += ["", "| stack | resource | property | value | rule | message |", "|---|---|---|---|---|---|"]
        for f in findings[:200]:
            value = json.dumps(f.value, default=str)[:60].replace("|", "\\|")
            lines.append(f"| {f.stack} | `{f.resource}` | {f.property} | `{value}` | {f.rule} | "
                         f"{f.message[:200].replace('|', '/')} |")
        if len(findings) > 200:
            lines.append(f"\n... and {len(findings) - 200} more (`labctl validate`)")
    suppressed = sum(len(c.suppressed) for c in checks)
    lines += ["", f"<details><summary>{suppressed} findings suppressed by the documented table</summary>", "",
              "| rule | where | when | reason |", "|---|---|---|---|"]
    lines += [f"| {rule} | {where} | {when} | {reason} |" for rule, where, when, reason in suppression_table()]
    lines += ["", "</details>", ""]
    return "\n".join(lines)
