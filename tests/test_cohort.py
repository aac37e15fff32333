"""Cohorts: roster to stack files, stable seats, idempotence, and exact errors with nothing written."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlabs.catalog import LABS
from cloudlabs.cohort import CohortError, apply_sync, lock_path, plan_sync
from cloudlabs.settings import load_stack_settings

HEADER = """cohort: fall26
region: us-east-1
profile: learner-lab
adminCidr: 203.0.113.0/24
expires: 2026-12-19
keyName: vockey
labs:
  - lab: vpc-nat
    stage: solution
roster:
"""
BASE = HEADER + "  - id: s01\n  - id: s02\n  - id: s03\n"
SLUG = "1-20 lowercase letters, digits and single hyphens, not starting or ending with a hyphen"


def roster(*entries: str) -> str:
    return HEADER + "".join(f"  - {e}\n" for e in entries)


def write(directory: Path, text: str) -> Path:
    path = directory / "fall26.yaml"
    path.write_text(text)
    return path


def sync(path: Path, prune: bool = False):
    plan = plan_sync(path, prune=prune)
    apply_sync(plan)
    return plan


def seats_of(directory: Path) -> dict[str, int]:
    return {p.name: load_stack_settings(p).seat for p in sorted(directory.glob("Pulumi.*.yaml"))}


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# --- roster to stacks ---------------------------------------------------------------------------


def test_roster_becomes_one_valid_stack_file_per_student(tmp_path):
    path = write(tmp_path, BASE)
    plan = sync(path)
    assert [c.status for c in plan.stacks] == ["created"] * 3 and plan.lock.status == "created"
    assert seats_of(tmp_path) == {"Pulumi.fall26-s01.yaml": 1, "Pulumi.fall26-s02.yaml": 2, "Pulumi.fall26-s03.yaml": 3}
    doc = yaml.safe_load((tmp_path / "Pulumi.fall26-s02.yaml").read_text())
    assert doc["config"] == {
        "aws:region": "us-east-1", "cloudlabs:cohort": "fall26", "cloudlabs:student": "s02", "cloudlabs:seat": 2,
        "cloudlabs:labs": [{"lab": "vpc-nat", "stage": "solution"}], "cloudlabs:adminCidr": "203.0.113.0/24",
        "cloudlabs:profile": "learner-lab", "cloudlabs:keyName": "vockey", "cloudlabs:expires": "2026-12-19",
        "cloudlabs:accountModel": "self-service",  # the learner-lab profile's default
    }
    assert (tmp_path / "fall26.seats.yaml").read_text().endswith('seats:\n  "s01": 1\n  "s02": 2\n  "s03": 3\n')


def test_running_sync_twice_changes_nothing(tmp_path):
    path = write(tmp_path, BASE)
    sync(path)
    before = snapshot(tmp_path)
    plan = sync(path)
    assert {c.status for c in plan.stacks} == {"unchanged"} and plan.lock.status == "unchanged"
    assert not plan.changes
    assert snapshot(tmp_path) == before


def test_new_students_get_the_lowest_free_seat_and_nobody_moves(tmp_path):
    path = write(tmp_path, roster("id: s01", "id: s02", "id: s03"))
    sync(path)
    write(tmp_path, roster("id: s04", "id: s03", "id: s01", "id: s02"))  # added first, others reordered
    sync(path)
    assert seats_of(tmp_path) == {"Pulumi.fall26-s01.yaml": 1, "Pulumi.fall26-s02.yaml": 2,
                                  "Pulumi.fall26-s03.yaml": 3, "Pulumi.fall26-s04.yaml": 4}


def test_students_who_leave_keep_file_and_seat_until_pruned(tmp_path):
    path = write(tmp_path, roster("id: s01", "id: s02", "id: s03"))
    sync(path)
    write(tmp_path, roster("id: s01", "id: s03", "id: s05"))
    plan = sync(path)
    assert [(c.student, c.status, c.seat) for c in plan.departed] == [("s02", "kept", 2)]
    assert (tmp_path / "Pulumi.fall26-s02.yaml").exists()
    assert seats_of(tmp_path)["Pulumi.fall26-s05.yaml"] == 4  # seat 2 stays reserved
    plan = sync(path, prune=True)
    assert [(c.student, c.status) for c in plan.departed] == [("s02", "removed")]
    assert not (tmp_path / "Pulumi.fall26-s02.yaml").exists()
    assert '"s02"' not in lock_path(path).read_text()
    write(tmp_path, roster("id: s01", "id: s03", "id: s05", "id: s06"))
    sync(path)
    assert seats_of(tmp_path)["Pulumi.fall26-s06.yaml"] == 2  # freed by the prune
    assert seats_of(tmp_path)["Pulumi.fall26-s05.yaml"] == 4


def test_explicit_seats_win_and_the_instructor_may_take_seat_0(tmp_path):
    path = write(tmp_path, roster("id: s01", "{id: teacher, seat: 0}", "{id: s02, seat: 40}", "id: s03"))
    sync(path)
    assert seats_of(tmp_path) == {"Pulumi.fall26-s01.yaml": 1, "Pulumi.fall26-s02.yaml": 40,
                                  "Pulumi.fall26-s03.yaml": 2, "Pulumi.fall26-teacher.yaml": 0}


def test_explicit_seat_taken_by_another_students_recorded_seat_is_refused(tmp_path):
    path = write(tmp_path, roster("id: s01", "id: s02"))
    sync(path)
    write(tmp_path, roster("id: s01", "id: s02", "{id: s03, seat: 2}"))
    with pytest.raises(CohortError) as caught:
        plan_sync(path)
    assert str(caught.value) == (f'{path}:13: roster[2].seat: 2 is not allowed (seat 2 is recorded for s02 in '
                                 'fall26.seats.yaml); allowed: a seat no other student has')


def test_display_names_stay_out_of_stack_files_and_other_keys_are_kept(tmp_path):
    path = write(tmp_path, roster("{id: s01, name: Ada Lovelace}"))
    sync(path)
    stack = tmp_path / "Pulumi.fall26-s01.yaml"
    doc = yaml.safe_load(stack.read_text())
    doc["encryptionsalt"] = "v1:abc"  # written by `pulumi stack init` with a passphrase
    doc["config"]["aws:profile"] = "class"  # set by hand with `pulumi config set`
    stack.write_text(yaml.safe_dump(doc))
    sync(path)
    text = stack.read_text()
    assert "Ada" not in text and "Lovelace" not in text
    again = yaml.safe_load(text)
    assert again["encryptionsalt"] == "v1:abc" and again["config"]["aws:profile"] == "class"
    assert sync(path).stacks[0].status == "unchanged"


def test_per_student_lab_override(tmp_path):
    path = write(tmp_path, roster("id: s01", "{id: s02, labs: [{lab: vpc-nat, stage: starter}]}"))
    sync(path)
    assert load_stack_settings(tmp_path / "Pulumi.fall26-s02.yaml").labs[0].stage == "starter"
    assert load_stack_settings(tmp_path / "Pulumi.fall26-s01.yaml").labs[0].stage == "solution"


edits = st.lists(st.tuples(st.sampled_from(["add", "remove", "reorder"]), st.integers(0, 10_000)), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits)
def test_roster_edits_never_move_a_continuing_student(steps):
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        students = ["s01", "s02", "s03"]
        path = write(directory, roster(*(f"id: {s}" for s in students)))
        sync(path)
        seats = seats_of(directory)
        next_id = 4
        for op, n in steps:
            if op == "add":
                students.insert(n % (len(students) + 1), f"s{next_id:02d}")
                next_id += 1
            elif op == "remove" and len(students) > 1:
                students.pop(n % len(students))
            else:
                k = n % len(students)
                students = students[k:] + students[:k]
            write(directory, roster(*(f"id: {s}" for s in students)))
            sync(path)
            now = seats_of(directory)
            for name, seat in seats.items():
                if name in now:
                    assert now[name] == seat, (name, steps)
            assert len(set(now.values())) == len(now)  # kept files of departed students included
            seats = now


# --- bad cohort files: exact message, nothing written --------------------------------------------

F = "{path}"
ALL_LABS = ", ".join(LABS)  # in the order error messages list them
BAD_COHORTS = [
    ("duplicate id", BASE.replace("  - id: s03", "  - id: s01"),
     F + ':13: roster[2].id: "s01" is not allowed (listed twice: first at line 11); allowed: each student once'),
    ("seat collision", BASE.replace("  - id: s02", "  - id: s02\n    seat: 7").replace("  - id: s03", "  - id: s03\n    seat: 7"),
     F + ":15: roster[2].seat: 7 is not allowed (also the seat of s02 at line 13); allowed: a seat no other student has"),
    ("seat out of range", BASE.replace("  - id: s02", "  - id: s02\n    seat: 255"),
     F + ":13: roster[1].seat: 255 is not allowed; allowed: a whole number from 0 (the instructor) to 254"),
    ("seat not a number", BASE.replace("  - id: s02", "  - id: s02\n    seat: yes"),
     F + ':13: roster[1].seat: "yes" is not allowed; allowed: a whole number from 0 (the instructor) to 254'),
    ("id that is a real name", BASE.replace("  - id: s02", "  - id: Ada Lovelace"),
     F + f':12: roster[1].id: "Ada Lovelace" is not allowed; allowed: {SLUG} (an opaque id: it is part of stack and bucket names)'),
    ("id that is a number", BASE.replace("  - id: s02", "  - id: 1234"),
     F + f":12: roster[1].id: 1234 is not allowed (not text; put it in quotes); allowed: {SLUG}"),
    ("id missing", BASE.replace("  - id: s02", "  - name: Bob"),
     F + f":12: roster[1].id: missing; allowed: {SLUG}"),
    ("unknown roster key", BASE.replace("  - id: s02", "  - id: s02\n    sheet: 4"),
     F + ":13: roster[1].sheet: 4 is not allowed (unknown key; did you mean seat?); allowed: the keys id, seat, name, labs, account"),
    ("display name not text", BASE.replace("  - id: s02", "  - id: s02\n    name: 42"),
     F + ":13: roster[1].name: 42 is not allowed; allowed: text (the student's display name, kept out of stack files)"),
    ("unknown lab", BASE.replace("lab: vpc-nat", "lab: vpc-peer"),
     F + f':8: labs[0].lab: "vpc-peer" is not allowed (did you mean vpc-peering?); allowed: {ALL_LABS}'),
    ("unknown stage", BASE.replace("stage: solution", "stage: done"),
     F + ':9: labs[0].stage: "done" is not allowed; allowed: stages of vpc-nat: starter, solution'),
    ("bad option in a student's override", BASE.replace("  - id: s02", "  - id: s02\n    labs: [{lab: ec2-webserver, options: {count: 12}}]"),
     F + ":13: roster[1].labs[0].options.count: 12 is not allowed; allowed: a whole number of servers from 0 to 6 (default 2; 1 with a Windows os, as the book launches one Windows server, book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance; 0: the VPC and the security group only, for the CLI and boto3 deployments of the chapter 3 assignment, book ch. 3, Chapter 3 coursework to Assignment Interacting with the cloud programmatically)"),
    ("override with overlapping labs", BASE.replace("  - id: s02", "  - id: s02\n    labs: [ec2-webserver, vpc-nat]"),
     F + ':13: roster[1].labs: ["ec2-webserver", "vpc-nat"] is not allowed (labs ec2-webserver (VPC 10.2.0.0/16) and '
         'vpc-nat (VPC-A 10.2.0.0/16) need overlapping addresses; run them in separate sessions); allowed: labs whose networks do not overlap'),
    ("world-open admin CIDR", BASE.replace("203.0.113.0/24", "0.0.0.0/0"),
     F + ':4: adminCidr: "0.0.0.0/0" is not allowed (opens SSH to the whole internet); '
         'allowed: an IPv4 range of /16 or narrower (IPv6: /32), or a private range; or set allowOpenAdminCidr: true to open SSH and RDP that wide'),
    ("admin CIDR with host bits", BASE.replace("203.0.113.0/24", "203.0.113.9/24"),
     F + ':4: adminCidr: "203.0.113.9/24" is not allowed (host bits are set; did you mean 203.0.113.0/24?); '
         'allowed: an IPv4 network in CIDR form that may SSH in, e.g. 203.0.113.0/24'),
    ("region the profile forbids", BASE.replace("us-east-1", "ap-south-1"),
     F + ':2: region: "ap-south-1" is not allowed; allowed: a region of profile learner-lab: us-east-1, us-west-2'),
    ("instance type the profile forbids", BASE + "instanceType: m5.xlarge\n",
     F + ':14: instanceType: "m5.xlarge" is not allowed; allowed: an instance type of profile learner-lab: '
         't2.nano, t2.micro, t2.small, t2.medium, t3.nano, t3.micro, t3.small, t3.medium'),
    ("cohort name that is not the file name", BASE.replace("cohort: fall26", "cohort: spring27"),
     F + ":1: cohort: \"spring27\" is not allowed (the file is fall26.yaml); allowed: the file's name without .yaml ('fall26')"),
    ("misspelt key", BASE + "adminCIDR: 198.51.100.0/24\n",
     F + ':14: adminCIDR: "198.51.100.0/24" is not allowed (unknown key; did you mean adminCidr?); allowed: the keys cohort, '
         'region, profile, adminCidr, allowOpenAdminCidr, expires, labs, instanceType, keyName, keyFile, nameTagPrefix, '
         'sessionHours, sessions, accounts, regions, schedule, budget, roster'),
    ("session hours as text", BASE + "sessionHours: '3'\n",
     F + ":14: sessionHours: \"3\" is not allowed (text, not a number; remove the quotes); allowed: a number of hours more than 0, at most 24: a class session's length (default: the profile's sessionHours; learner-lab 4)"),
    ("session hours zero", BASE + "sessionHours: 0\n",
     F + ":14: sessionHours: 0 is not allowed (out of range); allowed: a number of hours more than 0, at most 24: a class session's length (default: the profile's sessionHours; learner-lab 4)"),
    ("session hours a day and more", BASE + "sessionHours: 25\n",
     F + ":14: sessionHours: 25 is not allowed (out of range); allowed: a number of hours more than 0, at most 24: a class session's length (default: the profile's sessionHours; learner-lab 4)"),
    ("sessions not whole", BASE + "sessions: 12.5\n",
     F + ":14: sessions: 12.5 is not allowed (not a whole number); allowed: a whole number from 1 to 1000: how many sessions the course has (default: the profile's sessions; 12, one per chapter of the book)"),
    ("no sessions", BASE + "sessions: 0\n",
     F + ":14: sessions: 0 is not allowed (out of range); allowed: a whole number from 1 to 1000: how many sessions the course has (default: the profile's sessions; 12, one per chapter of the book)"),
    ("sessions a boolean", BASE + "sessions: true\n",
     F + ":14: sessions: true is not allowed (not a whole number); allowed: a whole number from 1 to 1000: how many sessions the course has (default: the profile's sessions; 12, one per chapter of the book)"),
    ("key given twice", BASE + "region: us-west-2\n",
     F + ':14: region: "us-west-2" is not allowed (duplicate key: first at line 2); allowed: each key once'),
    ("no roster", BASE.split("roster:")[0],
     F + ":1: roster: missing; allowed: a non-empty list of students: an id, or {{id, seat, name, labs}}"),
    ("empty roster", BASE.split("roster:")[0] + "roster: []\n",
     F + ":10: roster: [] is not allowed; allowed: a non-empty list of students: an id, or {{id, seat, name, labs}}"),
    ("no expiry", BASE.replace("expires: 2026-12-19\n", ""),
     F + ":1: expires: missing; allowed: a date written YYYY-MM-DD"),
    ("impossible expiry date", BASE.replace("2026-12-19", "2026-13-01"),
     F + ':5: expires: "2026-13-01" is not allowed (not a calendar date); allowed: a date written YYYY-MM-DD (tagged on every resource as cloudlabs:expires)'),
    ("more students than seats", BASE.split("roster:")[0] + "roster:\n" + "".join(f"  - id: s{i:03d}\n" for i in range(255)),
     F + ':10: roster: "255 students" is not allowed (more students than free seats); allowed: at most 254 students without a seat '
         '(seats 1-254, one /16 each, 0 already taken)'),
    ("broken YAML", BASE.replace("  - id: s02", "  - id: [s02"),
     F + ":13: not valid YAML: expected ',' or ']', but got ':'"),
    ("not a mapping", "- just\n- a list\n",
     F + ':1: (document): ["just", "a list"] is not allowed; allowed: a mapping with cohort, region, adminCidr, expires, labs, roster'),
]


@pytest.mark.parametrize("text,message", [c[1:] for c in BAD_COHORTS], ids=[c[0] for c in BAD_COHORTS])
def test_bad_cohort_file_gets_its_exact_message_and_nothing_is_written(tmp_path, text, message):
    path = write(tmp_path, text)
    before = snapshot(tmp_path)
    with pytest.raises(CohortError) as caught:
        plan_sync(path)
    assert str(caught.value) == message.format(path=path)
    assert snapshot(tmp_path) == before


def test_every_problem_is_reported_at_once(tmp_path):
    text = BASE.replace("  - id: s03", "  - id: s01").replace("203.0.113.0/24", "nope") + "colour: blue\n"
    path = write(tmp_path, text)
    with pytest.raises(CohortError) as caught:
        plan_sync(path)
    assert [p.key for p in caught.value.problems] == ["colour", "roster[2].id", "adminCidr"]


def test_a_tampered_seat_file_is_refused(tmp_path):
    path = write(tmp_path, BASE)
    sync(path)
    lock = lock_path(path)
    lock.write_text(lock.read_text().replace('"s02": 2', '"s02": 1'))
    with pytest.raises(CohortError) as caught:
        plan_sync(path)
    assert str(caught.value) == f"{lock}:6: seats.s02: 1 is not allowed (also the seat of s01); allowed: a seat no other student has"
