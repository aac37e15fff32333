"""The documentation holds: the site builds with --strict, every generated page matches the code,
the README stays a front door with every one of its old sections given a home, and the commands
the pages show (```console blocks, `$ ` prompts) run on the emulator in a copy of the project,
printing what the page shows.

A console block runs unless the line before it is ``<!-- docs-test: aws -->`` (it needs a real
AWS account and the Pulumi CLI): those are skipped, each as its own test, so the count shows.
Each block is its own test, in a fresh copy of the project (so xdist spreads the pages' blocks
over the workers), unless the line before it is ``<!-- docs-test: continues -->``: then it runs
after the block before it, in the same copy (it needs what that one made). The copies share the
tests' graph cache (conftest.py: a stack whose inputs another test already rendered is not rendered
again, as in a checkout where plans come one after another). A command's expected exit code is 0 unless its line
ends with ``# exit N``. Shown output lines must each appear in what the commands print, in order
(surrounding spaces and a panel's right border aside; ``...`` in a shown line stands for what
varies, such as a duration)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cloudlabs import REPO_ROOT, cohort
from labctl.analysis import sitenav
from labctl.cli import sitedocs

README_MAX_LINES = 200

# Every heading of the README before it became a front door (1,259 lines), and the page that holds its text now.
OLD_README_HEADINGS = {
    "Quick start": "docs/index.md",
    "Lab catalog": "docs/explanation/labs.md",
    "Per-student address plan": "docs/explanation/labs.md",
    "Stack settings": "docs/howto/set-up-a-cohort.md",
    "Cohorts": "docs/howto/set-up-a-cohort.md",
    "Instructor workflow: a whole session": "docs/howto/run-a-class.md",
    "Safety: bad input, selections, interruption": "docs/explanation/safety.md",
    "Deploy-readiness: would AWS accept it?": "docs/explanation/layers-of-truth.md",
    "The course's guardrails: a policy pack, and the same policies offline": "docs/explanation/layers-of-truth.md",
    'Checks: "success looks like", before class': "docs/explanation/layers-of-truth.md",
    "The credential-free sandbox: the whole course without an AWS account": "docs/explanation/emulator.md",
    "Live grading and drift: what each student actually built": "docs/howto/grade.md",
    "Following the book: chapter by chapter, and the live probes": "docs/howto/grade.md",
    "Pull-request review": "docs/howto/review-a-change.md",
    "Real deployments with the Pulumi CLI": "docs/tutorial/real-account.md",
    "Deploying a class from CI: shards, the fleet workflow, and Pulumi Deployments": "docs/howto/deploy-from-ci.md",
    "Where a class lives: the account model": "docs/howto/run-a-class.md",
    "How it works": "docs/explanation/architecture.md",
    "Tests and benchmarks": "docs/explanation/tests-and-benchmarks.md",
    "Quotas before `up`": "docs/howto/run-a-class.md",
}

AWS_MARK = "<!-- docs-test: aws -->"
CONTINUES_MARK = "<!-- docs-test: continues -->"
FENCE = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


@dataclass(frozen=True)
class Step:
    command: str
    exit_code: int
    shown: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    aws: bool
    steps: tuple[Step, ...]
    continues: bool = False  # runs after the block before it, in its copy of the project


def console_blocks(text: str, page: str) -> list[Block]:
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        steps: list[Step] = []
        for raw in match.group(1).splitlines():
            if raw.startswith("$ "):
                command = raw[2:]
                code = EXIT.search(command)
                steps.append(Step(command, int(code.group(1)) if code else 0, ()))
            elif steps:
                last = steps[-1]
                steps[-1] = Step(last.command, last.exit_code, last.shown + (raw.rstrip(),))
            else:
                raise ValueError(f"{page}: a console block must start with a `$ ` command")
        blocks.append(Block(page, text.count("\n", 0, match.start()) + 1, before.strip() == AWS_MARK, tuple(steps),
                            before.strip() == CONTINUES_MARK))
    return blocks


def doc_pages() -> list[Path]:
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]


def all_blocks() -> list[Block]:
    return [block for path in doc_pages() for block in console_blocks(path.read_text(), str(path.relative_to(REPO_ROOT)))]


def _plain(line: str) -> str:
    """A line without surrounding spaces and a panel's right border (rich pads panels to the terminal's width)."""
    return line.strip().rstrip(" │")


def _shown_in(shown: tuple[str, ...], output: str) -> str | None:
    """The first shown line the output lacks (in order), or None."""
    lines = iter(_plain(line) for line in output.splitlines())
    for want in shown:
        pattern = re.compile(re.escape(_plain(want)).replace(re.escape("..."), ".*"))
        if not any(pattern.fullmatch(line) for line in lines):
            return want
    return None


def project_copy(destination: Path) -> Path:
    """The project's tracked and new files (not its virtualenv, state, caches or built site)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO_ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if source.is_file() and not name.startswith("site/"):
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


# --- shown commands run ---------------------------------------------------------------------------------------

def runs(blocks: list[Block]) -> list[tuple[Block, ...]]:
    """The blocks grouped into what runs in one copy of the project: a block, and those that continue it."""
    grouped: list[list[Block]] = []
    for block in blocks:
        if block.continues:
            if not grouped or grouped[-1][-1].page != block.page or grouped[-1][-1].aws:
                raise ValueError(f"{block.page}:{block.line}: {CONTINUES_MARK} needs a runnable block before it on its page")
            grouped[-1].append(block)
        else:
            grouped.append([block])
    return [tuple(run) for run in grouped]


def _commands(run: tuple[Block, ...]) -> tuple[str, ...]:
    return tuple(step.command for block in run for step in block.steps)


def distinct_runs(blocks: list[Block]) -> list[list[tuple[Block, ...]]]:
    """The runnable runs, those that show the same commands from a fresh copy together (the README's tour
    and the sandbox tutorial): the same commands in the same fresh copy print the same thing, so one run
    of them is checked against each page's shown output."""
    same: dict[tuple[str, ...], list[tuple[Block, ...]]] = {}
    for run in runs(blocks):
        if not run[0].aws:
            same.setdefault(_commands(run), []).append(run)
    return list(same.values())


def _runs_to_test() -> list[object]:
    skipped = [pytest.param([run], id=f"{run[0].page}:{run[0].line}",
                            marks=pytest.mark.skip(reason="needs a real AWS account and the Pulumi CLI"))
               for run in runs(all_blocks()) if run[0].aws]
    return [pytest.param(shown, id="+".join(f"{run[0].page}:{run[0].line}" for run in shown))
            for shown in distinct_runs(all_blocks())] + skipped


def test_the_docs_show_commands_in_a_form_the_test_reads():
    blocks = all_blocks()
    assert any(block.page == "docs/tutorial/sandbox.md" and not block.aws for block in blocks)
    assert console_blocks("<!-- docs-test: aws -->\n```console\n$ pulumi up  # exit 1\nok\n```\n", "p.md") == [
        Block("p.md", 2, True, (Step("pulumi up  # exit 1", 1, ("ok",)),))]
    assert _shown_in(("b", "a"), "a\nb\n") == "a"  # order counts
    assert _shown_in(("a", "b"), "a   \nx\nb") is None
    assert _shown_in(("│ s │ 0.5 s │",), "│ s │ 1.2 s │") == "│ s │ 0.5 s │"
    assert _shown_in(("│ s │ ... │",), "│ s │ 1.2 s │") is None


def test_a_block_that_continues_runs_after_the_one_before_it():
    text = ("```console\n$ a\n```\n\n```console\n$ b\n```\n<!-- docs-test: continues -->\n```console\n$ c\n```\n")
    assert [[step.command for block in run for step in block.steps] for run in runs(console_blocks(text, "p.md"))] == [
        ["a"], ["b", "c"]]
    shown_twice = "```console\n$ a\nA\n```\n"
    twice = console_blocks(shown_twice, "p.md") + console_blocks(shown_twice.replace("A", "B"), "q.md")
    assert [[run[0].page for run in group] for group in distinct_runs(twice)] == [["p.md", "q.md"]]  # one run, two pages
    continued = console_blocks("```console\n$ x\n```\n<!-- docs-test: continues -->\n" + shown_twice, "r.md")
    assert len(distinct_runs(twice + continued)) == 2  # a, and x then a: not the same commands from a fresh copy
    with pytest.raises(ValueError, match="p.md:2: .*needs a runnable block before it"):
        runs(console_blocks("<!-- docs-test: continues -->\n```console\n$ a\n```\n", "p.md"))
    with pytest.raises(ValueError, match="needs a runnable block before it"):
        runs(console_blocks("<!-- docs-test: aws -->\n```console\n$ a\n```\n<!-- docs-test: continues -->\n"
                            "```console\n$ b\n```\n", "p.md"))


@pytest.mark.parametrize("shown", _runs_to_test())
def test_shown_commands_run_and_print_what_the_page_shows(shown, tmp_path):
    project = project_copy(tmp_path / "project")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PULUMI_", "CLOUDLABS_"))}
    env["CLOUDLABS_VENV"] = sys.prefix  # the virtualenv running the tests
    env["CLOUDLABS_CACHE_DIR"] = os.environ["CLOUDLABS_CACHE_DIR"]  # the tests' shared cache (conftest.py)
    env["HOME"] = str(tmp_path / "home")
    steps = [[(block, step) for block in run for step in block.steps] for run in shown]
    for index, (_, step) in enumerate(steps[0]):
        done = subprocess.run(["bash", "-c", step.command], cwd=project, env=env, capture_output=True, text=True,
                              timeout=900)
        output = done.stdout + done.stderr
        for block, same_step in (page_steps[index] for page_steps in steps):
            where = f"{block.page}:{block.line}: $ {same_step.command}"
            assert done.returncode == same_step.exit_code, f"{where}: exit {done.returncode}\n{output}"
            missing = _shown_in(same_step.shown, output)
            assert missing is None, f"{where}: does not print {missing!r}; it printed:\n{output}"


# --- the generated reference, the site, the README ----------------------------------------------------------

def test_every_generated_page_is_current():
    writes, strays, problems = sitedocs.plan(REPO_ROOT)
    assert problems == [] and strays == [], "the documentation is out of date: run ./dev docs\n" + "\n".join(problems)
    assert REPO_ROOT / "docs/reference/commands.md" in writes


def test_every_cohort_key_of_the_reference_says_what_is_allowed():
    from labctl.analysis.formatdocs import cohort_page
    rows = [line for line in cohort_page().splitlines() if line.startswith("| `")]
    assert len(rows) == len(cohort.COHORT_KEYS)
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))] for row in rows]
    assert all(len(c) == 4 for c in cells)
    assert [key for key, _, _, allowed in cells if not allowed] == []


def test_a_stale_missing_or_stray_generated_page_is_caught(tmp_path):
    shutil.copy2(REPO_ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(REPO_ROOT / "docs", tmp_path / "docs")
    commands = tmp_path / "docs/reference/commands.md"
    commands.write_text(commands.read_text().replace("--snapshots", "--snapshot-dir"))
    (tmp_path / "docs/reference/labs/vpc-nat.md").unlink()
    (tmp_path / "docs/reference/labs/old-lab.md").write_text("# gone\n")
    _, strays, problems = sitedocs.plan(tmp_path)
    assert f"{commands}: out of date" in problems
    assert f"{tmp_path / 'docs/reference/labs/vpc-nat.md'}: missing" in problems
    assert any("old-lab.md: not generated" in problem for problem in problems)
    assert strays == [tmp_path / "docs/reference/labs/old-lab.md"]


def test_every_command_and_option_of_the_parser_is_in_the_reference():
    from labctl.cli import reference
    page = (REPO_ROOT / "docs/reference/commands.md").read_text()
    parser = reference.build_parser()
    for name, sub, _ in reference.commands(parser):
        if reference._subcommands(sub):
            continue
        assert f"\n## {name}\n" in page, name
        for action in sub._actions:
            for option in action.option_strings:
                assert f"`{option}`" in page, (name, option)


def test_every_option_says_what_it_does():
    """An option without help is an empty cell in the command reference and a bare name in --help."""
    from labctl.cli import reference
    silent = [(name, option) for name, sub, _ in reference.commands(reference.build_parser())
              for action in sub._actions if action.option_strings and not action.help
              for option in action.option_strings[:1]]
    assert silent == []


def unreachable_pages(root: Path) -> list[str]:
    """Pages under docs/ that are neither in mkdocs.yml's nav nor in its not_in_nav (what MkDocs itself
    only mentions at INFO level, so --strict lets them pass)."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import InclusionLevel, get_files
    from mkdocs.structure.nav import get_navigation

    config = load_config(config_file=str(root / "mkdocs.yml"))
    files = get_files(config)
    in_nav = {page.file.src_uri for page in get_navigation(files, config).pages}
    return sorted(file.src_uri for file in files.documentation_pages()
                  if file.src_uri not in in_nav and file.inclusion != InclusionLevel.NOT_IN_NAV)


def test_every_page_is_in_the_nav_or_explicitly_left_out():
    assert unreachable_pages(REPO_ROOT) == [], "add these pages to mkdocs.yml's nav, or to its not_in_nav"


def test_a_page_missing_from_the_nav_is_caught_and_a_new_lab_gets_its_entries(tmp_path):
    shutil.copy2(REPO_ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(REPO_ROOT / "docs", tmp_path / "docs")
    shutil.copytree(REPO_ROOT / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("node_modules"))  # the hooks
    (tmp_path / "docs/howto/new.md").write_text("# new\n")
    assert unreachable_pages(tmp_path) == ["howto/new.md"]
    config = (tmp_path / "mkdocs.yml").read_text()
    (tmp_path / "mkdocs.yml").write_text(config + "not_in_nav: |\n  /howto/new.md\n")
    assert unreachable_pages(tmp_path) == []
    # the generated entries follow the catalog: a stale region is rewritten, one left out is named
    stale = config.replace('          - "vpc-nat": reference/labs/vpc-nat.md\n', "")
    assert stale != config and sitenav.update_nav(stale) == config
    without = re.sub(r"^ *# (/)?generated: lab-pages\n", "", config, flags=re.M)
    assert sitenav.missing_regions(without) == ["lab-pages"]


def test_the_site_builds_strict(tmp_path):
    mkdocs = Path(sys.executable).parent / "mkdocs"
    done = subprocess.run([str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=REPO_ROOT,
                          capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site/tutorial/sandbox/index.html").is_file()
    assert (tmp_path / "site/reference/commands/index.html").is_file()


def test_the_readme_is_a_front_door():
    lines = (REPO_ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; at most {README_MAX_LINES}"


def test_every_old_readme_section_has_a_home():
    for heading, page in OLD_README_HEADINGS.items():
        text = (REPO_ROOT / page).read_text()
        assert re.search(rf"^#+ {re.escape(heading)}$", text, re.M), f"{heading!r} is not a heading of {page}"
