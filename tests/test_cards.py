"""labctl cards: a card per student from known stack outputs (content, secrets only when asked and then
0600 in that student's files alone, HTML escaped, the LMS's CSV), from the plan when a stack is not
deployed, from the emulator after `up --emulate`; and files it did not write are never replaced."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import pytest

from labctl.analysis.cards import CSV_COLUMNS
from labctl.analysis.cost import estimate
from labctl.cli import runners
from labctl.cli.main import main
from labctl.offline import render
from labctl.ops.sandbox import Store

from .sandboxes import client, served

KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpA1-the-private-key-of-a1\n-----END RSA PRIVATE KEY-----\n"
PASSWORD = "pw-of-a1-Xq93"
SCHEDULE = """schedule:
  timezone: UTC
  sessions:
    - {start: 2026-12-01 09:00, end: 2026-12-01 12:00}
    - {start: 2099-12-08 09:00, end: 2099-12-08 12:00}
  expires: 2099-12-18 18:00
"""


def cohort_file(lab: str) -> str:
    return (f"cohort: crd\nregion: us-east-1\nprofile: sandbox\nadminCidr: 203.0.113.0/24\nexpires: 2099-12-19\n"
            f"labs:\n  - lab: {lab}\n{SCHEDULE}roster:\n  - id: a1\n  - id: a2\n")


def known_outputs(evil: str = "") -> dict:
    """What `pulumi stack output --json --show-secrets` gives for a1's lamp stack (a2 is not deployed)."""
    return {"crd-a1": {
        "lamp": {"url": f"http://203.0.113.10/{evil}", "ssh": "ssh -i crd-a1-key.pem ubuntu@203.0.113.10",
                 "dbEndpoint": "database-1-a1.c0abc.us-east-1.rds.amazonaws.com:3306", "dbUser": "admin",
                 "dbName": "exampleDB", "dbPassword": PASSWORD, "publicIp": "203.0.113.10"},
        "studentKey": {"keyFile": "crd-a1-key.pem", "keyName": "crd-a1-key", "privateKey": KEY},
        "labs": {"lamp": "solution"}, "student": "a1", "seat": 1}}


@pytest.fixture
def envs(monkeypatch, tmp_path) -> Path:
    env = tmp_path / "environments"
    env.mkdir()
    (env / "crd.yaml").write_text(cohort_file("lamp"))
    monkeypatch.setattr(render, "ENVIRONMENTS", env)
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    assert main(["sync", str(env / "crd.yaml")]) == 0
    return env


def write_outputs(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    return path


def cards(tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "cards"
    assert main(["cards", "crd", "--out", str(out), *extra]) == 0
    return out


def test_a_card_from_known_outputs_says_what_the_student_needs_and_no_secret(envs, tmp_path):
    out = cards(tmp_path, "--outputs", str(write_outputs(tmp_path, known_outputs())))
    md = (out / "a1.md").read_text()
    assert "| Lab | lamp (solution) |" in md and "| Status | deployed (outputs from outputs.json) |" in md
    assert "<http://203.0.113.10/>" in md
    assert "Key file: `crd-a1-key.pem`" in md and "`ssh -i crd-a1-key.pem ubuntu@203.0.113.10`" in md
    assert "lamp dbEndpoint: `database-1-a1.c0abc.us-east-1.rds.amazonaws.com:3306`" in md
    assert "## What to do first\n- **lamp**: " in md  # the stage's first step, from the lab's definition
    assert "| Session | 2099-12-08 09:00+00:00 to 2099-12-08 12:00+00:00 |" in md  # the next session on the schedule
    assert "| Expires | 2099-12-18 18:00+00:00: everything of the lab is destroyed then |" in md
    hourly = estimate(render.render_file(envs / "Pulumi.crd-a1.yaml")).hourly
    assert f"| Cost of a session | ${hourly * 3:.2f} for 3 h" in md  # the session's 3 hours at the plan's price
    for name in ("a1.md", "a1.html", "a2.md", "a2.html", "cards.csv"):
        text = (out / name).read_text()
        assert PASSWORD not in text and "PRIVATE KEY" not in text, name
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644
    assert "Not on this card: lamp.dbPassword, studentKey.privateKey" in md


def test_with_secrets_they_go_only_to_that_students_own_cards_with_mode_0600(envs, tmp_path):
    out = cards(tmp_path, "--outputs", str(write_outputs(tmp_path, known_outputs())), "--with-secrets")
    for name in ("a1.md", "a1.html"):
        text = (out / name).read_text()
        assert PASSWORD in text and "MIIEpA1-the-private-key-of-a1" in text
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    for name in ("a2.md", "a2.html", "cards.csv"):  # a2's cards (from the plan) and the LMS's file: none of a1's
        text = (out / name).read_text()
        assert PASSWORD not in text and "MIIEpA1" not in text
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644
    # written again without --with-secrets: the secrets are gone and so is the narrow mode
    cards(tmp_path, "--outputs", str(write_outputs(tmp_path, known_outputs())))
    assert PASSWORD not in (out / "a1.md").read_text() and stat.S_IMODE((out / "a1.md").stat().st_mode) == 0o644


def test_a_stack_not_in_the_outputs_gets_its_card_from_the_plan_marked_not_deployed_yet(envs, tmp_path):
    out = cards(tmp_path, "--outputs", str(write_outputs(tmp_path, known_outputs())))
    md = (out / "a2.md").read_text()
    assert "**Not deployed yet**: from the plan (not in outputs.json)" in md and "| Status | not deployed yet |" in md
    assert "Key file: `crd-a2-key.pem`" in md  # the plan knows the student's own key pair's file
    html = (out / "a2.html").read_text()
    assert "Not deployed yet: from the plan" in html
    every = cards(tmp_path, "--from-plan")
    assert "not deployed yet" in (every / "a1.md").read_text()


def test_html_escapes_every_value_and_markdown_keeps_it_in_code(envs, tmp_path):
    evil = '"><script>alert(1)</script>'
    out = cards(tmp_path, "--outputs", str(write_outputs(tmp_path, known_outputs(evil))))
    html = (out / "a1.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '&#34;&gt;' in html  # the quote cannot close the href
    md = (out / "a1.md").read_text()  # an LMS may render the Markdown: the URL is a code span, not an autolink
    assert f"- `http://203.0.113.10/{evil}`" in md and f"<http://203.0.113.10/{evil}>" not in md


def test_the_csv_has_a_row_per_student_with_the_lms_columns_and_a_link_to_each_card(envs, tmp_path):
    out = cards(tmp_path, "--outputs", str(write_outputs(tmp_path, known_outputs())))
    rows = list(csv.DictReader(io.StringIO((out / "cards.csv").read_text())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["student"], r["status"], r["card_html"]) for r in rows] == [
        ("a1", "deployed", "a1.html"), ("a2", "not deployed yet", "a2.html")]
    assert rows[0]["urls"] == "http://203.0.113.10/" and rows[0]["key_file"] == "crd-a1-key.pem"
    assert rows[0]["database"] == "database-1-a1.c0abc.us-east-1.rds.amazonaws.com:3306"
    assert rows[0]["session_end"] == "2099-12-08 12:00+00:00" and rows[0]["expires"] == "2099-12-18 18:00+00:00"
    assert float(rows[0]["session_cost_usd"]) > 0


def test_writing_one_students_card_keeps_the_others_rows_of_the_csv(envs, tmp_path):
    # a new card for a1 after their redeploy must not drop a2 from the file the LMS imports
    outputs = str(write_outputs(tmp_path, known_outputs()))
    out = cards(tmp_path, "--from-plan")

    def rows() -> dict[str, dict[str, str]]:
        return {r["student"]: r for r in csv.DictReader(io.StringIO((out / "cards.csv").read_text()))}
    a2 = rows()["a2"]
    assert rows()["a1"]["status"] == "not deployed yet"
    cards(tmp_path, "--outputs", outputs, "--students", "a1")
    assert list(rows()) == ["a1", "a2"] and rows()["a1"]["status"] == "deployed" and rows()["a2"] == a2
    (envs / "crd.yaml").write_text(cohort_file("lamp").replace("  - id: a2\n", ""))  # a2 left the class
    assert main(["sync", str(envs / "crd.yaml"), "--prune"]) == 0
    cards(tmp_path, "--outputs", outputs, "--students", "a1")
    assert list(rows()) == ["a1"]


def test_a_file_labctl_did_not_write_is_never_replaced(envs, tmp_path, capsys):
    out = tmp_path / "cards"
    out.mkdir()
    (out / "a2.md").write_text("my own notes\n")
    assert main(["cards", "crd", "--out", str(out), "--from-plan"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a2.md exists and is not a card labctl wrote" in err[0]
    assert sorted(p.name for p in out.iterdir()) == ["a2.md"] and (out / "a2.md").read_text() == "my own notes\n"
    assert main(["cards", "crd", "--out", str(envs), "--from-plan"]) == 2  # never among the settings it reads
    assert "inside the environments directory" in capsys.readouterr().err


def test_bad_outputs_file_and_no_pulumi_are_one_line_exit_2(envs, tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert main(["cards", "crd", "--out", str(tmp_path / "c"), "--outputs", str(bad)]) == 2
    assert "not a mapping of stack names to outputs" in capsys.readouterr().err
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert main(["cards", "crd", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--from-plan" in err[0] and not (tmp_path / "c").exists()


def test_cards_from_the_emulator_show_the_addresses_it_gave(envs, tmp_path):
    (envs / "crd.yaml").write_text(cohort_file("ec2-webserver\n    options: {count: 1}"))
    assert main(["sync", str(envs / "crd.yaml")]) == 0
    with served(Store(tmp_path / "state" / "sandbox")) as port:
        assert main(["up", "crd", "--students", "a1", "--emulate"]) == 0
        ips = [i.get("PublicIpAddress") for r in client(port, "ec2").describe_instances()["Reservations"]
               for i in r["Instances"]]
        out = cards(tmp_path, "--emulate", "--with-secrets")
    assert len(ips) == 1 and ips[0]
    md = (out / "a1.md").read_text()
    assert "| Status | deployed (the emulator) |" in md
    assert f"<http://{ips[0]}/>" in md and f"`ssh -i crd-a1-key.pem ec2-user@{ips[0]}`" in md
    assert "studentKey.privateKey:" in md and "PRIVATE KEY-----" in md  # the key the emulator generated for a1
    assert stat.S_IMODE((out / "a1.md").stat().st_mode) == 0o600
    a2 = (out / "a2.md").read_text()  # not brought up: from the plan, nothing secret to give
    assert "not deployed yet" in a2 and "PRIVATE KEY" not in a2


def test_the_default_directory_is_cards_of_the_cohort_which_git_ignores(envs, tmp_path, monkeypatch):
    from cloudlabs import REPO_ROOT
    monkeypatch.chdir(tmp_path)  # the project one stands in
    assert main(["cards", "crd", "--from-plan"]) == 0
    assert sorted(p.name for p in (tmp_path / "cards" / "crd").iterdir()) == ["a1.html", "a1.md", "a2.html", "a2.md",
                                                                              "cards.csv"]
    assert "/cards/" in (REPO_ROOT / ".gitignore").read_text().splitlines()


def test_a_windows_card_gives_the_rdp_and_password_commands_and_takes_neither_for_a_secret():
    from datetime import date

    from labctl.analysis.cards import CardInput, make_card
    server = {"rdp": "mstsc /v:203.0.113.7", "rdpAddress": "203.0.113.7:3389",
              "password": "aws ec2 get-password-data --instance-id i-0abc --priv-launch-key labsuser.pem"}
    data = CardInput("crd", "a1", "crd-a1", "us-east-1", (("ec2-webserver", "solution"),),
                     {"ec2-webserver": {"servers": {"Windows-01": server}}}, True, date(2099, 12, 19), "labsuser.pem")
    card = make_card(data, with_secrets=True)
    assert "- ec2-webserver servers.Windows-01.rdp: `mstsc /v:203.0.113.7`" in card.markdown
    assert "servers.Windows-01.password: `aws ec2 get-password-data --instance-id i-0abc" in card.markdown
    assert not card.has_secrets and "## Secrets" not in card.markdown and "Key file: `labsuser.pem`" in card.markdown


def test_a_card_whose_ssh_names_no_key_says_the_servers_have_no_key_pair():
    # a per-student account without keyName: the lab's instances start with no key pair, so `ssh ubuntu@IP`
    # cannot log in; the card must not hand it out as if it worked
    from datetime import date

    from labctl.analysis.cards import NO_KEY, CardInput, make_card
    lamp = {"ssh": "ssh ubuntu@203.0.113.10", "url": "http://203.0.113.10/"}
    bare = CardInput("crd", "a1", "crd-a1", "us-east-1", (("lamp", "solution"),), {"lamp": lamp}, True, date(2099, 12, 19))
    card = make_card(bare, with_secrets=False)
    assert NO_KEY in card.markdown and f"<p>{NO_KEY}</p>" in card.html and "Key file:" not in card.markdown
    keyed = CardInput("crd", "a1", "crd-a1", "us-east-1", (("lamp", "solution"),), {"lamp": lamp}, True,
                      date(2099, 12, 19), "course.pem")
    assert NO_KEY not in make_card(keyed, with_secrets=False).markdown
    own_key = {"ssh-access": {"vm1": {"ssh": "ssh -i example-key.pem ec2-user@203.0.113.11"}}}
    lab_key = CardInput("crd", "a1", "crd-a1", "us-east-1", (("ssh-access", "solution"),), own_key, True, date(2099, 12, 19))
    assert NO_KEY not in make_card(lab_key, with_secrets=False).markdown
