"""load-balancer and autoscaling (chapter 8): health check, wiring, ASG bounds and policy."""

from __future__ import annotations

import base64

import pytest

from .conftest import lab_graph
from .graphtools import INSTANCE, SG, instances, sg_rules, subnets

LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
POLICY = "aws:autoscaling/policy:Policy"
BOOK_HEALTH_CHECK = {"protocol": "HTTP", "path": "/", "port": "traffic-port", "interval": 30, "timeout": 5,
                     "unhealthyThreshold": 2, "healthyThreshold": 5, "matcher": "200"}


@pytest.mark.parametrize("stage,expected", [("starter", (3, 0, 0, 0, 0, 1)), ("solution", (3, 1, 1, 1, 3, 2))])
def test_load_balancer_kinds_and_counts(stage, expected):
    counts = lab_graph("load-balancer", stage=stage).type_counts()
    assert (counts[INSTANCE], counts[LB], counts[TG], counts[LISTENER], counts[ATTACHMENT], counts[SG]) == expected


def test_starter_has_three_browsable_servers_and_leaves_the_alb_to_the_student():
    graph = lab_graph("load-balancer", stage="starter")
    out = graph.outputs["load-balancer"]
    vms = instances(graph)
    assert "url" not in out and "target group" in out["nextStep"]
    assert {vm: t["url"] for vm, t in out["targets"].items()} == {
        vm: f"http://{vms[vm].outputs['publicIp']}/" for vm in ("VM1", "VM2", "VM3")}
    assert sg_rules(graph) == {
        ("web-SG", "in", "tcp", 80, 80, "0.0.0.0/0"), ("web-SG", "in", "tcp", 22, 22, "203.0.113.0/24"),
        ("web-SG", "out", "-1", None, None, "0.0.0.0/0")}


def test_three_servers_in_three_zones():
    graph = lab_graph("load-balancer")
    nets, vms = subnets(graph), instances(graph)
    assert [vms[f"VM{i}"].inputs["subnetId"] for i in (1, 2, 3)] == [nets[s].id for s in ("SN-0", "SN-16", "SN-32")]
    assert len({nets[s].inputs["availabilityZone"] for s in ("SN-0", "SN-16", "SN-32")}) == 3
    for vm in vms.values():
        assert "<h1>This is $(hostname -f)</h1>" in vm.inputs["userData"]  # the book's page, book ch. 8, “Hash” › “Configuration of an AWS Elastic Load Balancer”


def test_target_group_has_the_books_health_check():
    (tg,) = lab_graph("load-balancer").of_type(TG)
    assert tg.inputs["healthCheck"] == BOOK_HEALTH_CHECK
    assert (tg.inputs["port"], tg.inputs["protocol"], tg.inputs["targetType"]) == (80, "HTTP", "instance")


def test_listener_forwards_to_the_group_and_every_server_is_a_target():
    graph = lab_graph("load-balancer")
    (lb,), (tg,), (listener,) = graph.of_type(LB), graph.of_type(TG), graph.of_type(LISTENER)
    assert lb.inputs["loadBalancerType"] == "application" and lb.inputs["internal"] is False
    assert lb.inputs["enableDeletionProtection"] is False
    nets = subnets(graph)
    assert lb.inputs["subnets"] == [nets[s].id for s in ("SN-0", "SN-16", "SN-32")]
    assert (listener.inputs["loadBalancerArn"], listener.inputs["port"], listener.inputs["protocol"]) == (lb.id, 80, "HTTP")
    assert listener.inputs["defaultActions"] == [{"type": "forward", "targetGroupArn": tg.id}]
    targets = {a.inputs["targetId"] for a in graph.of_type(ATTACHMENT)}
    assert targets == {vm.id for vm in instances(graph).values()}
    assert all(a.inputs["targetGroupArn"] == tg.id and a.inputs["port"] == 80 for a in graph.of_type(ATTACHMENT))
    assert graph.outputs["load-balancer"]["url"] == f"http://{lb.outputs['dnsName']}/"


def test_servers_stay_browsable_directly_as_the_book_tests_them():
    """The book browses each VM first (book ch. 8, “Hash” › “Configuration of an AWS Elastic Load Balancer”) and reuses the web group: HTTP from anywhere."""
    rules = sg_rules(lab_graph("load-balancer"))
    assert rules == {
        ("web-ALB-SG", "in", "tcp", 80, 80, "0.0.0.0/0"), ("web-ALB-SG", "out", "tcp", 80, 80, "10.1.0.0/16"),
        ("web-SG", "in", "tcp", 80, 80, "0.0.0.0/0"), ("web-SG", "in", "tcp", 22, 22, "203.0.113.0/24"),
        ("web-SG", "out", "-1", None, None, "0.0.0.0/0"),
    }


def test_autoscaling_servers_take_http_only_from_the_load_balancer():
    rules = sg_rules(lab_graph("autoscaling"))
    assert ("web-SG", "in", "tcp", 80, 80, "sg:web-ALB-SG") in rules
    assert not any(r[0] == "web-SG" and r[3] == 80 and r[5] == "0.0.0.0/0" for r in rules)


def test_autoscaling_group_bounds_health_checks_and_policy():
    graph = lab_graph("autoscaling")
    (asg,), (policy,), (lt,), (tg,) = graph.of_type(ASG), graph.of_type(POLICY), graph.of_type(LT), graph.of_type(TG)
    assert (asg.inputs["minSize"], asg.inputs["desiredCapacity"], asg.inputs["maxSize"]) == (2, 2, 4)
    assert asg.inputs["healthCheckType"] == "ELB" and asg.inputs["targetGroupArns"] == [tg.id]
    assert asg.inputs["launchTemplate"]["id"] == lt.id and asg.inputs["forceDelete"] is True
    nets = subnets(graph)
    assert asg.inputs["vpcZoneIdentifiers"] == [nets[s].id for s in ("SN-0", "SN-16", "SN-32")]
    assert policy.inputs["policyType"] == "TargetTrackingScaling"
    assert policy.inputs["autoscalingGroupName"] == asg.outputs["name"]
    assert policy.inputs["targetTrackingConfiguration"] == {
        "predefinedMetricSpecification": {"predefinedMetricType": "ASGAverageCPUUtilization"}, "targetValue": 50}
    assert {t["key"] for t in asg.inputs["tags"]} >= {"Name", "cloudlabs:cohort", "cloudlabs:expires"}
    assert all(t["propagateAtLaunch"] for t in asg.inputs["tags"])
    assert not graph.of_type(INSTANCE)  # the group launches them at run time
    assert "stress-ng" in graph.outputs["autoscaling"]["loadOneInstance"]


def test_launch_template_is_secure_cheap_and_boots_the_web_server():
    (lt,) = lab_graph("autoscaling").of_type(LT)
    script = base64.b64decode(lt.inputs["userData"]).decode()
    assert script.startswith("#!/bin/bash") and "dnf install -y httpd" in script
    assert "<h1>Auto Scaling Group</h1>" in script and "hostname" not in script  # identical servers, book ch. 8, “Creation of the elastic load balancer” › “Further Investigation of the functioning of the Load Balancer”
    assert lt.inputs["metadataOptions"]["httpTokens"] == "required"
    (disk,) = lt.inputs["blockDeviceMappings"]
    assert disk["ebs"] == {"volumeSize": 8, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"}
    assert lt.inputs["creditSpecification"] == {"cpuCredits": "standard"} and lt.inputs["instanceType"] == "t3.micro"
    assert {spec["resourceType"] for spec in lt.inputs["tagSpecifications"]} == {"instance", "volume"}
