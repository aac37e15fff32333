"""labctl validate: would AWS accept every stack? What it prints and writes: a table per cohort of stacks, every finding on one
line, the JSON for tools and the Markdown for a pull-request comment."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from labctl.analysis.validation import StackValidation, suppression_table
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, error, targets_argument, write_text
from labctl.cli.rendering import render_targets
from labctl.cli.summary import print_findings, ready_text


def register(sub: Subparsers) -> None:
    validate = sub.add_parser("validate", help="would AWS accept every stack? (AWS's resource schemas + deploy rules)",
                              description="Render stacks offline, translate each to the equivalent CloudFormation template "
                                          "and check it against AWS's resource schemas (cfn-lint), plus the ordering, "
                                          "lifecycle and cost rules schemas cannot express. Exit 0 deploy-ready, 1 findings, "
                                          "2 bad input.")
    targets_argument(validate)
    validate.add_argument("--all", action="store_true", help="also list suppressed findings (with their reason) and "
                                                            "resources with no CloudFormation counterpart")
    validate.add_argument("--json", dest="json_file", metavar="FILE", help="write the results as JSON ('-' for stdout)")
    validate.add_argument("--markdown", metavar="FILE", help="write a Markdown summary (for a pull-request comment)")
    validate.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    rendered = render_targets(args, validate=True)
    if isinstance(rendered, int):
        return rendered
    try:
        report(list(rendered.checks.values()), args, out)
    except OSError as exc:
        error(f"labctl: could not write {exc.filename}: {exc.strerror}")
        return EXIT_FAILED
    rendered.report_failures()
    return EXIT_FAILED if rendered.failures or rendered.not_ready else EXIT_OK


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
        write_text(args.json_file, json.dumps([c.to_json() for c in checks], indent=2, sort_keys=True, default=str) + "\n")
    if args.markdown:
        write_text(args.markdown, markdown(checks))


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


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "every stack is deploy-ready",
    1: "findings",
    2: "bad input",
}
