"""Live probes against local HTTP servers on 127.0.0.1 playing the students' hosts."""

from __future__ import annotations

import json

import pytest

from cloudlabs.images import LAMP_RECORDS
from labctl.cli.main import main
from labctl.ops.probe import StaticOutputs, http_fetch, probe_stack, probes_for

from .localhosts import Hosts


@pytest.fixture
def hosts():
    h = Hosts()
    yield h
    h.close()


def run(stack_outputs: dict, labs: list[str], attempts: int = 3):
    return probe_stack("c-s01", labs, StaticOutputs({"c-s01": stack_outputs}), http_fetch, attempts=attempts, interval=0)


def test_the_alb_must_alternate_between_hosts(hosts):
    vms = {f"VM{i}": {"url": hosts.page(f"/vm{i}", f"<h1>This is ip-10-1-{i}-9.ec2.internal</h1>")} for i in (1, 2, 3)}
    good = run({"load-balancer": {"targets": vms, "url": hosts.alb("/alb", ["ip-a", "ip-b", "ip-c"])}}, ["load-balancer"])
    assert [(r.probe, r.passed) for r in good] == [("VM1 page", True), ("VM2 page", True), ("VM3 page", True),
                                                  ("ALB alternates", True)]
    assert "3 hosts answered" in good[-1].detail
    stuck = run({"load-balancer": {"targets": vms, "url": hosts.alb("/alb1", ["ip-a"])}}, ["load-balancer"], attempts=2)
    assert not stuck[-1].passed and stuck[-1].attempts == 2 and "1 distinct" in stuck[-1].detail


def test_a_probe_is_retried_until_the_host_is_healthy_and_no_longer(hosts):
    url = hosts.down_then_up("/lamp", 2, "<li>" + "</li><li>".join(LAMP_RECORDS) + "</li>")
    (ok,) = run({"lamp": {"url": url}}, ["lamp"], attempts=5)
    assert ok.passed and ok.attempts == 3
    url = hosts.down_then_up("/lamp2", 10, "")
    (late,) = run({"lamp": {"url": url}}, ["lamp"], attempts=4)
    assert not late.passed and late.attempts == 4 and "HTTP 503" in late.detail


def test_lamp_page_needs_all_three_rows(hosts):
    url = hosts.page("/lamp", "<li>This is record 1</li><li>This is record 2</li>")
    (r,) = run({"lamp": {"url": url}}, ["lamp"], attempts=1)
    assert not r.passed and "'This is record 3'" in r.detail


def test_jpg_readable_and_png_refused(hosts):
    out = {"object-storage": {"jpgOnly": {
        "readable": [hosts.page("/top_folder/folder1/number1.JPG", "jpg")],
        "denied": [hosts.page("/top_folder/folder1/orangebucket.PNG", "", status=403)]}}}
    assert [(r.probe, r.passed) for r in run(out, ["object-storage"])] == [
        ("JPG readable (number1.JPG)", True), ("PNG refused (orangebucket.PNG)", True)]
    out["object-storage"]["jpgOnly"]["denied"] = [hosts.page("/open.PNG", "png")]  # a policy too wide
    assert not run(out, ["object-storage"], attempts=1)[1].passed


def test_no_answer_is_a_failure_not_a_crash():
    (r,) = run({"ec2-webserver": {"servers": {"VM1": {"url": "http://127.0.0.1:9/"}}}}, ["ec2-webserver"], attempts=1)
    assert not r.passed and "no answer" in r.detail


def test_labs_seen_only_from_inside_and_missing_outputs_are_reported():
    results = run({}, ["vpc-nat", "lamp"])
    assert [(r.lab, r.passed) for r in results] == [("vpc-nat", True), ("lamp", False)]
    assert "inside the VPC" in results[0].detail and "no outputs" in results[1].detail


def test_probes_read_the_outputs_the_labs_really_export():
    """The probes' keys are the components' outputs: rendered offline, each lab yields its probes."""
    from .conftest import lab_graph
    assert [p.name for p in probes_for("load-balancer", lab_graph("load-balancer").outputs["load-balancer"])] == [
        "VM1 page", "VM2 page", "VM3 page", "ALB alternates"]
    assert [p.name for p in probes_for("load-balancer", lab_graph("load-balancer", stage="starter").outputs["load-balancer"])] == [
        "VM1 page", "VM2 page", "VM3 page"]
    assert [p.name for p in probes_for("lamp", lab_graph("lamp").outputs["lamp"])] == ["LAMP page rows"]
    storage = [p.name for p in probes_for("object-storage", lab_graph("object-storage").outputs["object-storage"])]
    assert "JPG readable (number1.JPG)" in storage and "PNG refused (greenbucket.PNG)" in storage
    assert len(probes_for("ec2-webserver", lab_graph("ec2-webserver", options={"count": 3}).outputs["ec2-webserver"])) == 3


def test_labctl_probe_prints_a_table_per_student_and_exits_1_on_a_failure(hosts, tmp_path, capsys):
    page = "<h1>Hello from ip-10-1-0-5.ec2.internal</h1>"
    outputs = {"demo-s01": {"ec2-webserver": {"servers": {"VM1": {"url": hosts.page("/s01", page)}}}},
               "demo-s02": {"vpc-nat": {}}, "demo-s03": {"vpc-nat": {}}}
    file = tmp_path / "outputs.json"
    file.write_text(json.dumps(outputs))
    code = main(["probe", "demo", "--outputs", str(file), "--attempts", "2", "--interval", "0"])
    out = capsys.readouterr().out
    assert code == 0 and "demo-s01" in out and "3 of 3 stacks pass every probe" in out
    outputs["demo-s01"]["ec2-webserver"]["servers"]["VM1"]["url"] = hosts.page("/s01", "<h1>It works!</h1>")
    file.write_text(json.dumps(outputs))
    code = main(["probe", "demo", "--outputs", str(file), "--attempts", "1", "--interval", "0"])
    out = capsys.readouterr().out
    assert code == 1 and "FAIL" in out and "failing: demo-s01" in out


def test_labctl_probe_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    file = tmp_path / "outputs.json"
    file.write_text("[1, 2]")
    assert main(["probe", "demo", "--outputs", str(file), "--interval", "0"]) == 2
    assert "not a mapping of stack names to outputs" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["probe", "demo", "--attempts", "0"])
    assert exit_.value.code == 2


def test_finding_environments_without_aws_credentials_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    file = tmp_path / "outputs.json"
    file.write_text(json.dumps({"demo-s01": {}}))
    assert main(["probe", "demo", "--outputs", str(file), "--find-environments"]) == 2
    err = capsys.readouterr().err
    assert "probe calls AWS and no AWS credentials were found" in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_access_control_probes_what_a_browser_outside_the_vpc_sees(hosts):
    """VM-SG's page and the containers' nginx pages; in the TCP analysis also MongoDB's answer
    over HTTP (book ch. 5, “Chapter 5 Coursework” › “Submit”). Rendered outputs give the probes; local servers play the hosts."""
    from .conftest import lab_graph
    rendered = lab_graph("access-control").outputs["access-control"]
    assert [p.name for p in probes_for("access-control", rendered)] == [
        "VM-SG page", "VM-DOCKER:8081 page", "VM-DOCKER:8082 page", "VM-DOCKER:8083 page"]
    analysis = lab_graph("access-control", options={"parts": ["tcp-analysis"]}).outputs["access-control"]
    assert [p.name for p in probes_for("access-control", analysis)] == [
        "VM2:8081 page", "VM2:8082 page", "VM2:27017 MongoDB over HTTP", "VM3:8083 page", "VM3:8084 page",
        "VM3:27017 MongoDB over HTTP"]
    assert probes_for("access-control", lab_graph("access-control", options={"parts": ["coursework"]}).outputs[
        "access-control"]) == []  # VM1's tests: from inside only
    nginx = "<h1>Welcome to nginx!</h1>"
    mongodb = "It looks like you are trying to access MongoDB over HTTP on the native driver port.\n"
    out = {"access-control": {"tcpAnalysis": {"urls": {
        "VM2": {"8081": hosts.page("/vm2-8081", nginx), "27017": hosts.page("/vm2-27017", mongodb)},
        "VM3": {"8083": hosts.page("/vm3-8083", nginx), "27017": hosts.page("/vm3-27017", nginx)}}}}}  # not MongoDB
    assert [(r.probe, r.passed) for r in run(out, ["access-control"], attempts=1)] == [
        ("VM2:8081 page", True), ("VM2:27017 MongoDB over HTTP", True), ("VM3:8083 page", True),
        ("VM3:27017 MongoDB over HTTP", False)]
