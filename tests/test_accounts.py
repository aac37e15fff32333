"""Issue 29, the account model: the cohort file's accounts (strict, line-numbered), the stack
settings sync writes for it, and the settings' guardrails of each model."""

from __future__ import annotations

import re

import pytest
import yaml

from cloudlabs.cohort import CohortError, apply_sync, plan_sync
from cloudlabs.settings import SettingsError, load_stack_settings, parse_settings

from .conftest import SOURCE, config

HEADER = """cohort: fall26
region: us-east-1
profile: learner-lab
adminCidr: 203.0.113.0/24
expires: 2026-12-19
labs:
  - lab: vpc-nat
"""
ROLE = "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
PER_STUDENT = HEADER + f"""accounts:
  model: per-student
  roleArn: "{ROLE}"
roster:
  - id: s01
    account: "111111111111"
  - id: s02
    account: "222222222222"
"""
F = "{path}"


def write(tmp_path, text):
    path = tmp_path / "fall26.yaml"
    path.write_text(text)
    return path


def test_per_student_sync_writes_each_students_account_role_and_the_providers_assume_role(tmp_path):
    path = write(tmp_path, PER_STUDENT)
    apply_sync(plan_sync(path))
    doc = yaml.safe_load((tmp_path / "Pulumi.fall26-s02.yaml").read_text())["config"]
    role = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
    assert doc["cloudlabs:accountModel"] == "per-student"
    assert doc["cloudlabs:account"] == "222222222222" and doc["cloudlabs:roleArn"] == role
    # pulumi-aws 7's provider config (pulumi_aws/config/vars.py: assume_roles -> aws:assumeRoles, a list)
    assert doc["aws:assumeRoles"] == [{"roleArn": role, "sessionName": "cloudlabs-fall26-s02"}]
    settings = load_stack_settings(tmp_path / "Pulumi.fall26-s02.yaml")
    assert (settings.account_model, settings.account, settings.role_arn) == ("per-student", "222222222222", role)
    # a model change takes the role away again: sync owns aws:assumeRoles
    path.write_text(PER_STUDENT.replace("  model: per-student\n  roleArn: \"" + ROLE + "\"\n", "  model: shared\n")
                    .replace('    account: "111111111111"\n', "").replace('    account: "222222222222"\n', ""))
    apply_sync(plan_sync(path))
    doc = yaml.safe_load((tmp_path / "Pulumi.fall26-s02.yaml").read_text())["config"]
    assert "aws:assumeRoles" not in doc and "cloudlabs:roleArn" not in doc and doc["cloudlabs:accountModel"] == "shared"


def test_the_profile_decides_the_default_model(tmp_path):
    apply_sync(plan_sync(write(tmp_path, HEADER + "roster: [s01]\n")))
    assert load_stack_settings(tmp_path / "Pulumi.fall26-s01.yaml").account_model == "self-service"  # learner-lab
    apply_sync(plan_sync(write(tmp_path, HEADER.replace("learner-lab", "sandbox") + "roster: [s01]\n")))
    settings = load_stack_settings(tmp_path / "Pulumi.fall26-s01.yaml")
    assert settings.account_model == "shared" and settings.name_tag_prefix


BAD = [
    ("per-student without roleArn", PER_STUDENT.replace(f'  roleArn: "{ROLE}"\n', ""),
     F + ":8: accounts.roleArn: missing; allowed: an IAM role ARN with {{account}} where the student's account id goes, "
         'e.g. "arn:aws:iam::{{account}}:role/OrganizationAccountAccessRole"'),
    ("roleArn without {account}", PER_STUDENT.replace("{account}", "123456789012"),
     F + ':10: accounts.roleArn: "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole" is not allowed (names one '
         "account for every student: write {{account}} where the account id goes); allowed: an IAM role ARN with {{account}} "
         'where the student\'s account id goes, e.g. "arn:aws:iam::{{account}}:role/OrganizationAccountAccessRole"'),
    ("roleArn not a role", PER_STUDENT.replace(":role/", ":user/"),
     F + ':10: accounts.roleArn: "arn:aws:iam::{{account}}:user/OrganizationAccountAccessRole" is not allowed (not an IAM '
         "role ARN (arn:aws:iam::{{account}}:role/NAME)); allowed: an IAM role ARN with {{account}} where the student's "
         'account id goes, e.g. "arn:aws:iam::{{account}}:role/OrganizationAccountAccessRole"'),
    ("roster entry without account", PER_STUDENT.replace('    account: "222222222222"\n', ""),
     F + ":14: roster[1].account: missing; allowed: an AWS account id in quotes: exactly 12 digits, e.g. "
         '"123456789012" (accounts.model per-student: the account the student\'s role is in)'),
    ("account as a number", PER_STUDENT.replace('"222222222222"', "222222222222"),
     F + ":15: roster[1].account: 222222222222 is not allowed (a number, not text: put it in quotes (a leading 0 would be "
         'lost)); allowed: an AWS account id in quotes: exactly 12 digits, e.g. "123456789012"'),
    ("two students in one account", PER_STUDENT.replace("222222222222", "111111111111"),
     F + ':15: roster[1].account: "111111111111" is not allowed (also the account of s01 at line 13); allowed: an account '
         "no other student has"),
    ("account under another model", HEADER + 'accounts:\n  model: shared\nroster:\n  - id: s01\n    account: "111111111111"\n',
     F + ':12: roster[0].account: "111111111111" is not allowed (the student\'s stack does not live in an account of their '
         "own); allowed: no account with accounts.model shared (only per-student)"),
    ("roleArn under another model", HEADER + f'accounts:\n  model: self-service\n  roleArn: "{ROLE}"\nroster: [s01]\n',
     F + ':10: accounts.roleArn: "arn:aws:iam::{{account}}:role/OrganizationAccountAccessRole" is not allowed (the '
         "students' stacks do not live in accounts of their own); allowed: no roleArn with model self-service (only "
         "per-student)"),
    ("unknown model", HEADER + "accounts:\n  model: pooled\nroster: [s01]\n",
     F + ':9: accounts.model: "pooled" is not allowed; allowed: one of shared, per-student, self-service'),
    ("misspelt accounts key", HEADER + "accounts:\n  modle: shared\nroster: [s01]\n",
     F + ':9: accounts.modle: "shared" is not allowed (unknown key; did you mean model?); allowed: the keys model, roleArn'),
    ("shared with the profile's shared key", HEADER + "keyName: vockey\naccounts:\n  model: shared\nroster: [s01]\n",
     F + ':8: keyName: "vockey" is not allowed (one key pair for the cohort: every student of the shared account would '
         "hold the same private key); allowed: no keyName with accounts.model shared: each student gets a key pair of "
         "their own (generated, its private key a secret stack output)"),
    ("shared without Name prefixes", HEADER + "nameTagPrefix: false\naccounts:\n  model: shared\nroster: [s01]\n",
     F + ":8: nameTagPrefix: false is not allowed (students sharing an account are told apart by their id in every name); "
         "allowed: true, or leave it out, with accountModel shared"),
    ("regions without the cohort's region", HEADER + "regions: [us-west-2]\nroster: [s01]\n",
     F + ':8: regions: ["us-west-2"] is not allowed (the cohort\'s region us-east-1 is not among them); allowed: a non-empty '
         "list of regions of the cohort's profile, the cohort's region among them, e.g. [us-east-1, us-west-2]"),
    ("region the profile does not allow", HEADER + "regions: [us-east-1, eu-west-1]\nroster: [s01]\n",
     F + ':8: regions[1]: "eu-west-1" is not allowed; allowed: a region of the profile: us-east-1, us-west-2'),
]


@pytest.mark.parametrize("text,message", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_accounts_get_one_line_each_with_file_line_key_and_allowed(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(CohortError) as caught:
        plan_sync(path)
    assert str(caught.value) == message.format(path=path)
    assert not list(tmp_path.glob("Pulumi.*"))


def test_a_hand_edited_stack_file_cannot_drop_the_role():
    """A per-student stack whose provider would not assume the student's role is refused before Pulumi runs."""
    role = "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
    base = {**config(), "cloudlabs:accountModel": "per-student", "cloudlabs:account": "111111111111",
            "cloudlabs:roleArn": role}
    with pytest.raises(SettingsError, match=r"aws:assumeRoles: missing; allowed: \[\{\"roleArn\""):
        parse_settings(base, SOURCE)
    ok = {**base, "aws:assumeRoles": [{"roleArn": role, "sessionName": "cloudlabs-test-s01"}]}
    assert parse_settings(ok, SOURCE).role_arn == role
    with pytest.raises(SettingsError, match=r"cloudlabs:roleArn: .* \(the role is in another account\)"):
        parse_settings({**ok, "cloudlabs:account": "222222222222"}, SOURCE)
    with pytest.raises(SettingsError, match=r"cloudlabs:account: missing"):
        parse_settings({k: v for k, v in ok.items() if k != "cloudlabs:account"}, SOURCE)


# --- self-service: what the instructor cannot do, refused in one line --------------------------------

SELF_SERVICE = ("cohort demo is self-service (accounts.model: self-service): its stacks live in each student's own "
                "account, which only the student's own credentials reach; ")


@pytest.mark.parametrize("argv,instead", [
    (["up", "demo"], "each student runs labctl up <their stack> --self with their own credentials (e.g. labctl up "
                     "demo-s01 --self)"),
    (["destroy", "demo", "--students", "s02"], "each student runs labctl destroy <their stack> --self with their own "
                                               "credentials (e.g. labctl destroy demo-s02 --self)"),
    (["stop", "demo"], "each student runs labctl stop <their stack> --self with their own credentials (e.g. labctl stop "
                       "demo-s01 --self)"),
    (["sweep", "demo"], "each student runs labctl sweep <cohort> --self --delete in their own account"),
])
def test_the_instructor_cannot_act_in_self_service_accounts(argv, instead, capsys, monkeypatch, tmp_path):
    from labctl.cli import runners
    from labctl.cli.main import main
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    called = []
    monkeypatch.setattr(runners, "make_session", lambda *a, **k: called.append(a))
    monkeypatch.setattr(runners, "make_pulumi_runner", lambda *a, **k: called.append(a))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"labctl: {argv[0]}: {SELF_SERVICE}{instead}; or --emulate to rehearse in the sandbox\n"
    assert called == []  # refused before any credentials are looked for


def test_self_acts_on_exactly_one_stack(capsys, monkeypatch, tmp_path):
    from labctl.cli import runners
    from labctl.cli.main import main

    from .fakerunner import FakeRunner
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    fake = FakeRunner()
    monkeypatch.setattr(runners, "make_pulumi_runner", lambda args, owners: fake)
    assert main(["destroy", "demo", "--self"]) == 2
    assert capsys.readouterr().err == ("labctl: destroy: --self acts with the caller's own credentials on exactly one stack, "
                                       "and 3 are selected; allowed: one stack, e.g. labctl destroy demo-s01 --self\n")
    assert main(["destroy", "demo-s02", "--self"]) == 0
    assert fake.calls == [("demo-s02", "destroy")]


# --- per-student on the emulator: each student's calls in that student's account, nowhere else ------

ACCOUNTS = {"s01": "111111111111", "s02": "222222222222"}


@pytest.fixture
def two_accounts(monkeypatch, tmp_path):
    """moto with the caller (the instructor, moto's default account 123456789012) and a per-student
    cohort whose two students live in accounts of their own (moto gives credentials from AssumeRole
    the account of the role's ARN)."""
    import boto3
    from moto import mock_aws

    from labctl.cli import runners
    keys = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    for k, v in keys.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # seconds per account; any image id will do here
    env = tmp_path / "environments"
    env.mkdir()
    apply_sync(plan_sync(write(env, PER_STUDENT)))
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    with mock_aws():
        caller = boto3.Session(region_name="us-east-1")
        monkeypatch.setattr(runners, "make_session", lambda region, command="": caller)

        def account_session(account: str):
            creds = caller.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/Setup",
                                                     RoleSessionName="setup")["Credentials"]
            return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"], region_name="us-east-1")
        yield caller, account_session, env


def _tagged_instance(session, student: str) -> str:
    ec2 = session.client("ec2")
    image = "ami-12345678"
    tags = [{"Key": "cloudlabs:cohort", "Value": "fall26"}, {"Key": "cloudlabs:student", "Value": student},
            {"Key": "Name", "Value": "VM1"}]
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                             TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"][0]["InstanceId"]


def _state(session, instance: str) -> str:
    return session.client("ec2").describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"]


def test_per_student_stop_and_sweep_act_in_each_students_account_only(two_accounts, capsys):
    from labctl.cli.main import main
    caller, account_session, env = two_accounts
    s01, s02 = account_session(ACCOUNTS["s01"]), account_session(ACCOUNTS["s02"])
    assert s01.client("sts").get_caller_identity()["Account"] == ACCOUNTS["s01"]
    mine, theirs = _tagged_instance(s01, "s01"), _tagged_instance(s02, "s02")
    decoy = _tagged_instance(caller, "s01")  # the same tags in the instructor's own account: never the student's
    assert main(["stop", "fall26", "--students", "s01", "--environments", str(env)]) == 0
    assert (_state(s01, mine), _state(s02, theirs), _state(caller, decoy)) == ("stopped", "running", "running")

    assert main(["sweep", "fall26", "--delete", "--environments", str(env)]) == 0
    out = capsys.readouterr().out
    assert f"account {ACCOUNTS['s01']} of s01 (role arn:aws:iam::{ACCOUNTS['s01']}:role/OrganizationAccountAccessRole)" in out
    assert f"account {ACCOUNTS['s02']} of s02" in out
    assert (_state(s01, mine), _state(s02, theirs), _state(caller, decoy)) == ("terminated", "terminated", "running")


def test_per_student_reads_use_one_assumed_role_per_student(two_accounts):
    """grade and drift: each per-student stack reads with a factory of its own, made from one AssumeRole
    with the session name cloudlabs-<stack>; the region's shared listings are not used for it."""
    import argparse

    from labctl.cli.live import clients
    from labctl.ops.accounts import StudentSessions
    caller, _, env = two_accounts
    selected = {p: load_stack_settings(p) for p in sorted(env.glob("Pulumi.*.yaml"))}
    made: list[StudentSessions] = []
    from labctl.cli import runners
    original = runners.student_sessions
    runners.student_sessions = lambda base, sel: made.append(original(base, sel)) or made[-1]  # type: ignore[assignment]
    try:
        with clients(argparse.Namespace(emulate=False, endpoint_url=None), selected, "grade") as factories:
            identities = {stack: factories[stack]("sts").get_caller_identity() for stack in ("fall26-s01", "fall26-s02")}
            factories["fall26-s01"]("ec2")  # again: the cached session, no second AssumeRole
    finally:
        runners.student_sessions = original  # type: ignore[assignment]
    assert {stack: i["Account"] for stack, i in identities.items()} == {"fall26-s01": ACCOUNTS["s01"],
                                                                       "fall26-s02": ACCOUNTS["s02"]}
    assert identities["fall26-s01"]["Arn"].endswith(":assumed-role/OrganizationAccountAccessRole/cloudlabs-fall26-s01")
    assert made[0].assumed == [("fall26-s01", f"arn:aws:iam::{ACCOUNTS['s01']}:role/OrganizationAccountAccessRole"),
                               ("fall26-s02", f"arn:aws:iam::{ACCOUNTS['s02']}:role/OrganizationAccountAccessRole")]


# --- self-service: the students' own reports, merged as their word ---------------------------------


def test_student_reports_are_merged_into_the_class_table_as_the_students_word(monkeypatch, tmp_path, capsys):
    """A student grades their own stack with their own credentials (emulated here) and hands in the
    report; the instructor merges the reports: marked as the student's word, a missing one shown."""
    import json

    from labctl.cli.main import main

    from .emulated import emulated_stack
    with emulated_stack(monkeypatch, tmp_path, "demo-s01", {"lab": "vpc-nat"}) as (_, env):
        report = tmp_path / "s01.json"
        assert main(["grade", "demo-s01", "--self", "--json", str(report), "--environments", str(env)]) == 0
        assert main(["grade", "demo", "--self", "--environments", str(env)]) == 2
        assert "--self grades exactly one stack, the caller's own, and 3 are selected" in capsys.readouterr().err
    document = json.loads(report.read_text())
    assert document["kind"] == "cloudlabs-grade-report" and document["runBy"] == "student"
    assert document["grades"][0]["stack"] == "demo-s01" and document["grades"][0]["complete"]
    capsys.readouterr()
    assert main(["grade", "demo", "--merge", str(report), "--environments", str(env)]) == 1  # s02, s03: no report
    out = " ".join(capsys.readouterr().out.split())  # the table's title wraps
    assert "1 of 3 students complete (a student-run report is the student's word, not read by labctl)" in out
    assert re.search(r"demo-s01 .* complete .* student-run: the student's word .*s01\.json", out)
    assert out.count("NO REPORT") == 2
    assert "note: 1 of these grades are the students' own word" in out

    assert main(["grade", "demo", "--merge", str(report), str(report), "--environments", str(env)]) == 2
    assert f"grades demo-s01 again (also in {report})" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"grades": "all complete, trust me"}')
    assert main(["grade", "demo", "--merge", str(bad), "--environments", str(env)]) == 2
    assert capsys.readouterr().err == (f"labctl: --merge: {bad}: not a grade report; allowed: a file written by labctl "
                                       "grade --json\n")


# --- shared: a key pair of each student's own, never the account's shared one --------------------


@pytest.fixture(scope="module")
def shared_graphs():
    """Two students of one shared account, each with a lab that launches instances (one render each)."""
    from .conftest import lab_graph
    return {student: lab_graph("vpc-nat", profile="sandbox", accountModel="shared", keyName=None, student=student, seat=seat)
            for student, seat in (("s01", 1), ("s02", 2))}


def test_shared_students_get_key_pairs_of_their_own_with_a_secret_private_key(shared_graphs):
    KEY_PAIR, PRIVATE_KEY = "aws:ec2/keyPair:KeyPair", "tls:index/privateKey:PrivateKey"
    names = {}
    for student, graph in shared_graphs.items():
        (pair,) = graph.of_type(KEY_PAIR)
        assert len(graph.of_type(PRIVATE_KEY)) == 1
        names[student] = pair.inputs["keyName"]
        assert pair.inputs["tags"]["Name"] == f"{student}-key" and pair.inputs["tags"]["cloudlabs:student"] == student
        for instance in graph.of_type("aws:ec2/instance:Instance"):
            assert instance.inputs["keyName"] == names[student]  # never vockey, never another student's
        key = graph.outputs["studentKey"]
        assert key["privateKey"] == "[secret]" and key["keyFile"] == f"test-{student}-key.pem"
        assert key["saveKey"].endswith(f"> test-{student}-key.pem)") and f"--stack test-{student}" in key["saveKey"]
        assert graph.outputs["vpc-nat"]["sshBastion"].startswith(f"ssh -i test-{student}-key.pem ec2-user@")
        names_tags = {r.inputs["tags"]["Name"] for r in graph.resources if isinstance(r.inputs.get("tags"), dict)
                      and "Name" in r.inputs["tags"]}
        assert names_tags and all(n.startswith(f"{student}-") for n in names_tags)  # Name tags prefixed per student
    assert names == {"s01": "test-s01-key", "s02": "test-s02-key"}


def test_a_shared_stack_never_names_the_profiles_shared_key():
    with pytest.raises(SettingsError, match=r'cloudlabs:keyName: "vockey" is not allowed \(the profile learner-lab\'s key '
                                            r"pair: every student of the account would hold the same private key\)"):
        parse_settings(config(accountModel="shared"), SOURCE)
    own = parse_settings(config(accountModel="self-service"), SOURCE)  # a Learner Lab of the student's own: vockey is theirs
    assert own.key_name == "vockey" and not own.generated_key


def test_per_student_probe_finds_tasks_with_the_students_role(two_accounts, monkeypatch, tmp_path):
    """probe's only AWS call (an ECS service's task addresses) goes to the student's account."""
    import json

    from labctl.cli import probe
    from labctl.cli.main import main
    _, _, env = two_accounts
    accounts_seen = {}

    def probe_stack(stack, labs, source, fetch, attempts, interval, stop, locate):
        located = locate("cluster", "service", 80)
        return [probe.ProbeResult(stack, "vpc-nat", "tasks", True, 1, ",".join(located))]

    def task_locator(client):
        def locate(cluster, service, port):
            identity = client("sts").get_caller_identity()
            accounts_seen[identity["UserId"].split(":")[-1]] = identity["Account"]
            return []
        return locate
    monkeypatch.setattr(probe, "probe_stack", probe_stack)
    monkeypatch.setattr(probe, "task_locator", task_locator)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"fall26-s01": {}, "fall26-s02": {}}))
    assert main(["probe", "fall26", "--outputs", str(outputs), "--environments", str(env)]) == 0
    assert accounts_seen == {"cloudlabs-fall26-s01": ACCOUNTS["s01"], "cloudlabs-fall26-s02": ACCOUNTS["s02"]}
