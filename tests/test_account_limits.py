"""The account's limits a profile states (profiles/learner-lab.yaml ``limits``), held per stack by the
deploy rule CL-LIMIT-ACCOUNT: at the limit passes, one over is refused, for each limit; what the book's
steps add during the session counts; and once through ``labctl validate``. Four lab renders, shared
(edited copies stand for the stacks at and over each limit), and one CLI run of two renders."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudlabs import profiles
from labctl.analysis.deployrules import DEPLOY_RULES, vcpus
from labctl.cli.main import main
from labctl.offline.graph import Resource, StackGraph

from tests.conftest import config, lab_graph

RULE = next(r for r in DEPLOY_RULES if r.id == "CL-LIMIT-ACCOUNT")


class _Graphs:
    """Auto Scaling (an ASG of maxSize 4 and its launch template), LAMP (an instance and a database),
    Beanstalk in a sandbox (its own roles; a single instance), containers (a Fargate service and an
    instance): each rendered once per test process, when a test first asks (conftest's cache)."""

    def __getitem__(self, lab: str) -> StackGraph:
        return lab_graph(lab, profile="sandbox") if lab == "beanstalk" else lab_graph(lab)


@pytest.fixture
def graphs() -> _Graphs:
    return _Graphs()


def edited(graph: StackGraph, name: str, profile: str | None = None, **inputs: Any) -> tuple[StackGraph, Resource]:
    """A copy of the graph with the named resource's inputs changed (None removes one)."""
    copied = copy.deepcopy(graph)
    if profile:
        copied.settings["profile"] = profile
    r = custom(copied, name)
    for key, value in inputs.items():
        if value is None:
            r.inputs.pop(key, None)
        else:
            r.inputs[key] = value
    return copied, r


def custom(graph: StackGraph, name: str) -> Resource:
    (r,) = [r for r in graph.custom_resources if r.name == name]
    return r


def findings(graph: StackGraph, session_end: StackGraph | None = None) -> list[str]:
    """Each finding as one line, its whole message (``Finding.line`` shortens long ones)."""
    return [f"{f.stack}: {f.resource} ({f.type}): {f.property}: {json.dumps(f.value)}: [{f.rule}] {f.message}"
            for f in RULE.check(graph, session_end)]


def test_the_labs_as_rendered_fit(graphs):
    assert {lab: findings(graphs[lab]) for lab in ("autoscaling", "lamp", "containers")} == {
        "autoscaling": [], "lamp": [], "containers": []}


def test_an_auto_scaling_group_counts_at_its_maximum_size(graphs):
    at, _ = edited(graphs["autoscaling"], "autoscaling-asg", maxSize=9)
    assert findings(at) == []
    over, _ = edited(graphs["autoscaling"], "autoscaling-asg", maxSize=10)
    (line,) = findings(over)
    assert line.startswith("test-s01: autoscaling-asg (aws:autoscaling/group:Group): running instances: 10: [CL-LIMIT-ACCOUNT] ")
    assert ("10 EC2 instances at once (autoscaling-asg 10 (maxSize)); the account runs at most 9 "
            "(profile learner-lab, learner-lab.yaml limits.runningInstances) (the AWS Academy Learner Lab student guide") in line


def test_instance_sizes_up_to_large_by_aws_instance_type_data(graphs):
    lamp = graphs["lamp"]
    assert (vcpus("t3.large"), vcpus("t3.micro"), vcpus("m5.xlarge"), vcpus("no.such")) == (2, 2, 4, None)
    assert findings(edited(lamp, "lamp-web", instanceType="m5.large")[0]) == []
    (line,) = findings(edited(lamp, "lamp-web", instanceType="t3.xlarge")[0])
    assert "lamp-web (aws:ec2/instance:Instance): instance type: \"t3.xlarge\"" in line
    assert "t3.xlarge is larger than the account allows: sizes up to large (profile learner-lab, learner-lab.yaml " \
           "limits.largestInstanceSize)" in line
    # an Auto Scaling group's instances are its launch template's type
    (line,) = findings(edited(graphs["autoscaling"], "autoscaling-lt", instanceType="c5.2xlarge")[0])
    assert line.startswith("test-s01: autoscaling-asg (aws:autoscaling/group:Group): instance type: \"c5.2xlarge\"")


def test_vcpus_are_summed_at_the_maximum(graphs, monkeypatch, tmp_path):
    """Nine instances of a large size have 18 vCPUs: the Learner Lab's 32 cannot be reached within its
    other limits, so a profile with a lower figure shows the rule counts them."""
    directory = tmp_path / "profiles"
    directory.mkdir()
    text = (profiles.PROFILES_DIR / "learner-lab.yaml").read_text().replace("vcpus: 32 ", "vcpus: 10 ")
    (directory / "learner-lab.yaml").write_text(text)
    monkeypatch.setattr(profiles, "PROFILES_DIR", directory)
    at, _ = edited(graphs["autoscaling"], "autoscaling-asg", maxSize=5)  # t3.micro: 2 vCPUs each
    assert findings(at) == []
    over, _ = edited(graphs["autoscaling"], "autoscaling-asg", maxSize=6)
    (line,) = findings(over)
    assert ("vCPUs: 12: [CL-LIMIT-ACCOUNT] 12 vCPUs at once (autoscaling-asg 6 x 2); the account allows at most 10 "
            "(profile learner-lab, learner-lab.yaml limits.vcpus)") in line


def _volume(resource: str, gib: int) -> dict[str, Any]:
    """A volume of ``gib`` where the resource writes one: an instance's root, a launch template's mapping."""
    if resource == "autoscaling-lt":
        return {"blockDeviceMappings": [{"ebs": {"volumeSize": gib}}]}
    return {"rootBlockDevice": {"volumeSize": gib}}


@pytest.mark.parametrize("resource, extra, prop", [
    ("lamp-web", False, "rootBlockDevice.volumeSize"),
    ("lamp-web", True, "ebsBlockDevices[0].volumeSize"),
    ("autoscaling-lt", False, "blockDeviceMappings[0].ebs.volumeSize"),
])
def test_ebs_volumes_up_to_100_gb(graphs, resource, extra, prop):
    graph = graphs["lamp" if resource.startswith("lamp") else "autoscaling"]

    def sized(gib: int) -> StackGraph:
        return edited(graph, resource, **({"ebsBlockDevices": [{"volumeSize": gib}]} if extra else _volume(resource, gib)))[0]
    assert findings(sized(100)) == []
    (line,) = findings(sized(101))
    assert f"{resource} " in line and f"{prop}: 101: [CL-LIMIT-ACCOUNT] a 101 GB EBS volume; the account's volumes are at " \
                                       "most 100 GB (profile learner-lab, learner-lab.yaml limits.ebsVolumeGb)" in line


def test_database_classes_up_to_medium_and_its_storage_at_the_most_it_grows_to(graphs):
    lamp = graphs["lamp"]
    assert findings(edited(lamp, "lamp-db", instanceClass="db.t4g.medium", allocatedStorage=100)[0]) == []
    (line,) = findings(edited(lamp, "lamp-db", instanceClass="db.t3.large")[0])
    assert "lamp-db (aws:rds/instance:Instance): instanceClass: \"db.t3.large\": [CL-LIMIT-ACCOUNT] the account's " \
           "databases are db.t3.micro, db.t3.small, db.t3.medium, db.t4g.micro, db.t4g.small, db.t4g.medium" in line
    (line,) = findings(edited(lamp, "lamp-db", allocatedStorage=101)[0])
    assert "allocatedStorage: 101: [CL-LIMIT-ACCOUNT] 101 GB of database storage; the account allows at most 100 GB" in line
    (line,) = findings(edited(lamp, "lamp-db", maxAllocatedStorage=200)[0])
    assert "maxAllocatedStorage: 200:" in line


def _with(settings: list[dict[str, str]], namespace: str, name: str, value: str) -> list[dict[str, str]]:
    return [s for s in settings if s["name"] != name] + [{"namespace": namespace, "name": name, "value": value}]


def test_beanstalk_counts_its_max_size_default_4_and_its_root_volume(graphs, monkeypatch, tmp_path):
    sandbox = graphs["beanstalk"]
    env = {s["name"]: s["value"] for s in custom(sandbox, "beanstalk-env").inputs["settings"]}
    assert env["EnvironmentType"] == "SingleInstance"  # one instance, whatever MaxSize says
    settings = custom(sandbox, "beanstalk-env").inputs["settings"]
    assert findings(edited(sandbox, "beanstalk-env", settings=_with(settings, "aws:autoscaling:asg", "MaxSize", "20"))[0]) == []
    directory = tmp_path / "profiles"
    directory.mkdir()
    text = (profiles.PROFILES_DIR / "learner-lab.yaml").read_text().replace("runningInstances: 9 ", "runningInstances: 3 ")
    (directory / "learner-lab.yaml").write_text(text)
    monkeypatch.setattr(profiles, "PROFILES_DIR", directory)
    balanced = [s for s in custom(sandbox, "beanstalk-env").inputs["settings"] if s["name"] not in ("EnvironmentType", "MaxSize")]
    unset = edited(sandbox, "beanstalk-env", profile="learner-lab", settings=balanced)[0]
    lines = findings(unset)
    assert any("running instances: 4: [CL-LIMIT-ACCOUNT] 4 EC2 instances at once (beanstalk-env 4 (aws:autoscaling:asg "
               "MaxSize (unset: Beanstalk's default 4)))" in line for line in lines), lines
    at = edited(sandbox, "beanstalk-env", profile="learner-lab",
                settings=balanced + [{"namespace": "aws:autoscaling:asg", "name": "MaxSize", "value": "3"}])[0]
    assert not any("running instances" in line for line in findings(at))
    bigger = _with(settings, "aws:autoscaling:launchconfiguration", "RootVolumeSize", "101")
    lines = findings(edited(sandbox, "beanstalk-env", profile="learner-lab", settings=bigger)[0])
    assert any("aws:autoscaling:launchconfiguration RootVolumeSize: 101: [CL-LIMIT-ACCOUNT] a 101 GB EBS volume" in line
               for line in lines), lines


def test_no_roles_of_its_own_where_the_profile_creates_none(graphs):
    sandbox = graphs["beanstalk"]
    assert findings(sandbox) == []
    learner = copy.deepcopy(sandbox)
    learner.settings["profile"] = "learner-lab"
    roles = [line for line in findings(learner) if "IAM roles" in line]
    assert [line.split(":")[1].strip() for line in roles] == ["beanstalk-ec2-role (aws", "beanstalk-service-role (aws"]
    assert ("[CL-LIMIT-ACCOUNT] the account cannot create IAM roles (profile learner-lab, learner-lab.yaml "
            "iam.createRoles: false): use LabRole") in roles[0]


def test_a_fargate_service_runs_no_instance_of_the_account(graphs, monkeypatch, tmp_path):
    containers = graphs["containers"]
    assert {r.type.split(":")[-1] for r in containers.custom_resources} >= {"Service", "Instance"}
    directory = tmp_path / "profiles"
    directory.mkdir()
    text = (profiles.PROFILES_DIR / "learner-lab.yaml").read_text().replace("runningInstances: 9 ", "runningInstances: 1 ")
    (directory / "learner-lab.yaml").write_text(text)
    monkeypatch.setattr(profiles, "PROFILES_DIR", directory)
    assert findings(containers) == []  # its one instance; the service's task is Fargate's


def test_what_the_session_adds_counts_and_what_the_stack_has_already_is_said_once(graphs):
    start = graphs["autoscaling"]
    end, _ = edited(start, "autoscaling-asg", maxSize=12)
    (line,) = findings(start, end)
    assert ("running instances: 12: [CL-LIMIT-ACCOUNT] during the session, once the book's steps are done (the labs' "
            "last stage): 12 EC2 instances at once") in line
    over_now, _ = edited(start, "autoscaling-asg", maxSize=10)
    assert [line.split("[CL-LIMIT-ACCOUNT] ")[1][:20] for line in findings(over_now, end)] == ["10 EC2 instances at "]


def _stack_file(directory: Path, stage: str) -> None:
    directory.mkdir(exist_ok=True)
    cfg = config(labs=[{"lab": "ssh-access", "stage": stage}])
    (directory / "Pulumi.test-s01.yaml").write_text(yaml.safe_dump({"config": cfg}))


def test_validate_refuses_a_starter_the_book_grows_past_the_limit(capsys, monkeypatch, tmp_path):
    """ssh-access: the starter runs one instance, the book has the student launch a second. With a
    profile of one running instance, the starter is refused for what the session adds (the last
    stage rendered by the in-session mechanism), exit code 1."""
    directory = tmp_path / "profiles"
    directory.mkdir()
    text = (profiles.PROFILES_DIR / "learner-lab.yaml").read_text().replace("runningInstances: 9 ", "runningInstances: 1 ")
    (directory / "learner-lab.yaml").write_text(text)
    monkeypatch.setattr(profiles, "PROFILES_DIR", directory)
    environments = tmp_path / "environments"
    _stack_file(environments, "starter")
    code = main(["validate", "test-s01", "--environments", str(environments), "--jobs", "1", "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 1, err
    flat = " ".join(out.split())
    assert "0 of 1 stacks ready" in flat
    assert ("running instances: 2: [CL-LIMIT-ACCOUNT] during the session, once the book's steps are done (the labs' "
            "last stage): 2 EC2 instances at once") in flat
    assert "the account runs at most 1 (profile learner-lab, learner-lab.yaml limits.runningInstances)" in flat
