"""lamp (chapter 10): RDS settings one by one, the security-group pair, the secret password, the user data."""

from __future__ import annotations

import pytest

from cloudlabs.images import lamp_user_data

from .conftest import lab_graph
from .graphtools import INSTANCE, SG, instances, name_tag, sg_rules, subnets

DB = "aws:rds/instance:Instance"
DB_SUBNETS = "aws:rds/subnetGroup:SubnetGroup"
PASSWORD = "random:index/randomPassword:RandomPassword"


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_kinds_and_counts(stage):
    counts = lab_graph("lamp", stage=stage).type_counts()
    assert (counts[INSTANCE], counts[DB], counts[DB_SUBNETS], counts[PASSWORD], counts[SG]) == (1, 1, 1, 1, 3)


def test_rds_settings_one_by_one():
    graph = lab_graph("lamp")
    (db,), (group,) = graph.of_type(DB), graph.of_type(DB_SUBNETS)
    i = db.inputs
    assert (i["engine"], i["instanceClass"], i["allocatedStorage"], i["port"]) == ("mysql", "db.t3.micro", 20, 3306)
    assert (i["dbName"], i["username"]) == ("exampleDB", "admin")
    assert i["storageEncrypted"] is True and i["publiclyAccessible"] is False and i["multiAz"] is False
    assert i["skipFinalSnapshot"] is True and i["deletionProtection"] is False  # nothing survives pulumi destroy
    assert i["backupRetentionPeriod"] == 0 and i["deleteAutomatedBackups"] is True
    assert i["password"] == "[secret]"
    assert i["dbSubnetGroupName"] == group.outputs["name"]
    nets = subnets(graph)
    assert group.inputs["subnetIds"] == [nets["SN-DB-1"].id, nets["SN-DB-2"].id]
    assert nets["SN-DB-1"].inputs["availabilityZone"] != nets["SN-DB-2"].inputs["availabilityZone"]
    assert (nets["SN-DB-1"].inputs["cidrBlock"], nets["SN-DB-2"].inputs["cidrBlock"]) == ("10.1.128.0/20", "10.1.144.0/20")
    groups = {g.id: name_tag(g) for g in graph.of_type(SG)}
    assert [groups[g] for g in i["vpcSecurityGroupIds"]] == ["rds-ec2"]


def test_the_security_group_pair_opens_3306_only_from_the_web_server():
    graph = lab_graph("lamp")
    rules = sg_rules(graph)
    assert {r for r in rules if r[0] in ("rds-ec2", "ec2-rds")} == {
        ("rds-ec2", "in", "tcp", 3306, 3306, "sg:ec2-rds"), ("ec2-rds", "out", "tcp", 3306, 3306, "sg:rds-ec2")}
    groups = {g.id: name_tag(g) for g in graph.of_type(SG)}
    assert [groups[g] for g in instances(graph)["web"].inputs["vpcSecurityGroupIds"]] == ["web-SG", "ec2-rds"]


def test_the_password_is_a_secret_and_in_no_plain_output():
    from pulumi.runtime.mocks import MockResourceArgs
    from labctl.offline.fakeaws import FakeAws
    graph = lab_graph("lamp")
    (password,) = graph.of_type(PASSWORD)
    _, generated = FakeAws("us-east-1", graph.stack)._random_password(
        MockResourceArgs(PASSWORD, password.name, {"length": 20}), "")
    assert len(generated["result"]) == 20 and generated["result"] not in graph.dumps()  # nowhere, not even in the resource
    assert password.outputs["result"] == "[secret]" and password.inputs["special"] is False
    assert graph.outputs["lamp"]["dbPassword"] == "[secret]"
    assert instances(graph)["web"].inputs["userData"] == "[secret]"


def test_user_data_is_wired_to_the_database_and_seeds_the_three_records():
    graph = lab_graph("lamp")
    (db,), (password,) = graph.of_type(DB), graph.of_type(PASSWORD)
    web = instances(graph)["web"]
    assert set(web.property_dependencies["userData"]) == {db.urn, password.urn}
    script = lamp_user_data(db.outputs["address"], 3306, "PLACEHOLDER")
    assert f'$host = "{db.outputs["address"]}"; $port = 3306;' in script and f"host={db.outputs['address']}" in script
    for record in ("This is record 1", "This is record 2", "This is record 3"):
        assert f"SELECT '{record}'" in script
    assert "WHERE NOT EXISTS (SELECT 1 FROM exampleDB.table1)" in script  # seeded once
    assert "apache2 php libapache2-mod-php php-mysql" in script and "set -x" not in script and "set -euxo" not in script
    assert "SELECT content FROM $table" in script


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_outputs_tell_the_student_the_endpoint_and_how_to_read_their_password(stage):
    graph = lab_graph("lamp", stage=stage)
    (db,) = graph.of_type(DB)
    out = graph.outputs["lamp"]
    assert out["dbEndpoint"] == db.outputs["endpoint"] and out["url"].startswith("http://198.51.100.")
    assert out["mysqlFromWeb"] == (
        f"mysql -h {db.outputs['address']} -P 3306 -u admin -p exampleDB  # password: run "
        "`pulumi stack output lamp --show-secrets --json --stack test-s01` on your machine and use dbPassword")
    assert out["dbPassword"] == "[secret]"
    assert db.outputs["identifier"].startswith("database-1-s01-")


def test_starter_is_the_books_starting_point_server_and_empty_database():
    """The book's user data installs Apache2 only (L7930); the student installs PHP and the MySQL
    client, creates table1 and adds the rows (L8086-8277): nothing in the starter does it for them,
    and nothing on the server knows the password."""
    graph = lab_graph("lamp", stage="starter")
    web = instances(graph)["web"]
    script = web.inputs["userData"]
    assert "apt-get install -y apache2;" in script
    for done_by_the_student in ("php", "mysql", "table1", "INSERT", "record"):
        assert done_by_the_student not in script
    (db,) = graph.of_type(DB)
    assert "userData" not in web.property_dependencies or db.urn not in web.property_dependencies["userData"]
    assert db.inputs["dbName"] == "exampleDB" and db.inputs["password"] == "[secret]"
