"""lamp (chapter 10): RDS settings one by one, the security-group pair, the secret password, the user data."""

from __future__ import annotations

import re

import pytest

from cloudlabs import wordpress
from cloudlabs.images import lamp_user_data

from .conftest import lab_graph
from .emulated import emulated_stack
from .localhosts import Hosts
from .graphtools import INSTANCE, SG, SUBNET, associations, instances, name_tag, sg_rules, subnets

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
    _, generated = FakeAws("us-east-1", graph.stack).new_resource(
        MockResourceArgs(PASSWORD, password.name, {"length": 20}, custom=True))
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
    """The book's user data installs Apache2 only (book ch. 10, “Configuration of a webserver stack in AWS Cloud” › “Deployment of the webserver of the LAMP stack”); the student installs PHP and the MySQL
    client, creates table1 and adds the rows (book ch. 10, “Networking” › “Adding data to the database” to “Configuration of the webserver to talk to the database”): nothing in the starter does it for them,
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


# --- the coursework (book ch. 10, “Networking” › “Configuration of the webserver to talk to the database” to “Chapter 10 Coursework”): WordPress on RDS, then an Application Load Balancer in front -------------------

COURSEWORK = {"coursework": True}
ALB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"


@pytest.mark.parametrize("stage,alb,groups", [("starter", 0, 3), ("solution", 1, 4)])
def test_coursework_kinds_and_counts(stage, alb, groups):
    counts = lab_graph("lamp", stage=stage, options=COURSEWORK).type_counts()
    assert (counts[INSTANCE], counts[DB], counts[DB_SUBNETS], counts[PASSWORD], counts[SG]) == (1, 1, 1, 1, groups)
    assert (counts.get(ALB, 0), counts.get(TG, 0), counts.get(LISTENER, 0), counts.get(ATTACHMENT, 0)) == (alb,) * 4
    assert counts[SUBNET] == 4  # SN-WEB-2 too: an ALB needs two zones


def test_without_coursework_no_second_web_subnet():
    assert set(subnets(lab_graph("lamp"))) == {"SN-WEB", "SN-DB-1", "SN-DB-2"}


def test_coursework_subnets_two_public_zones_for_the_alb():
    graph = lab_graph("lamp", stage="starter", options=COURSEWORK)
    nets = subnets(graph)
    assert (nets["SN-WEB"].inputs["cidrBlock"], nets["SN-WEB-2"].inputs["cidrBlock"]) == ("10.1.0.0/20", "10.1.16.0/20")
    assert nets["SN-WEB"].inputs["availabilityZone"] != nets["SN-WEB-2"].inputs["availabilityZone"]
    assert associations(graph)["SN-WEB-2"] == associations(graph)["SN-WEB"]  # the public route table


def test_coursework_starter_rules_the_server_is_browsed_directly():
    graph = lab_graph("lamp", stage="starter", options=COURSEWORK)
    assert sg_rules(graph) == {
        ("rds-ec2", "in", "tcp", 3306, 3306, "sg:ec2-rds"), ("ec2-rds", "out", "tcp", 3306, 3306, "sg:rds-ec2"),
        ("web-SG", "in", "tcp", 80, 80, "0.0.0.0/0"), ("web-SG", "in", "tcp", 22, 22, "203.0.113.0/24"),
        ("web-SG", "out", "tcp", 443, 443, "0.0.0.0/0")}


def test_coursework_solution_rules_http_only_from_the_alb():
    graph = lab_graph("lamp", options=COURSEWORK)
    assert sg_rules(graph) == {
        ("rds-ec2", "in", "tcp", 3306, 3306, "sg:ec2-rds"), ("ec2-rds", "out", "tcp", 3306, 3306, "sg:rds-ec2"),
        ("web-SG", "in", "tcp", 80, 80, "sg:web-ALB-SG"), ("web-SG", "in", "tcp", 22, 22, "203.0.113.0/24"),
        ("web-SG", "out", "tcp", 443, 443, "0.0.0.0/0"),
        ("web-ALB-SG", "in", "tcp", 80, 80, "0.0.0.0/0"), ("web-ALB-SG", "out", "tcp", 80, 80, "10.1.0.0/16")}
    groups = {g.id: name_tag(g) for g in graph.of_type(SG)}
    assert [groups[g] for g in instances(graph)["web"].inputs["vpcSecurityGroupIds"]] == ["web-SG", "ec2-rds"]


def test_coursework_alb_wiring():
    graph = lab_graph("lamp", options=COURSEWORK)
    (alb,), (tg,), (listener,), (attachment,) = (graph.of_type(t) for t in (ALB, TG, LISTENER, ATTACHMENT))
    nets = subnets(graph)
    groups = {g.id: name_tag(g) for g in graph.of_type(SG)}
    assert alb.inputs["internal"] is False and alb.inputs["loadBalancerType"] == "application"
    assert alb.inputs["subnets"] == [nets["SN-WEB"].id, nets["SN-WEB-2"].id]
    assert [groups[g] for g in alb.inputs["securityGroups"]] == ["web-ALB-SG"] and name_tag(alb) == "web-ALB"
    assert (tg.inputs["port"], tg.inputs["protocol"], tg.inputs["targetType"]) == (80, "HTTP", "instance")
    assert tg.inputs["healthCheck"] == {"protocol": "HTTP", "path": "/wp-admin/install.php", "port": "traffic-port",
                                        "interval": 30, "timeout": 5, "unhealthyThreshold": 2, "healthyThreshold": 5,
                                        "matcher": "200"}
    assert (listener.inputs["port"], listener.inputs["protocol"], listener.inputs["loadBalancerArn"]) == (80, "HTTP", alb.outputs["arn"])
    assert listener.inputs["defaultActions"] == [{"type": "forward", "targetGroupArn": tg.outputs["arn"]}]
    web = instances(graph)["web"]
    assert (attachment.inputs["targetGroupArn"], attachment.inputs["targetId"], attachment.inputs["port"]) == (
        tg.outputs["arn"], web.id, 80)


def test_coursework_web_server_is_amazon_linux_and_the_db_is_unchanged():
    for stage in ("starter", "solution"):
        graph = lab_graph("lamp", stage=stage, options=COURSEWORK)
        out = graph.outputs["lamp"]
        assert out["ssh"].endswith(f"ec2-user@{out['publicIp']}")  # the book's "AWS AMI with HTTPD"
        (db,) = graph.of_type(DB)
        assert (db.inputs["dbName"], db.inputs["username"], db.inputs["password"]) == ("exampleDB", "admin", "[secret]")
        assert db.inputs["publiclyAccessible"] is False


def test_coursework_starter_user_data_is_the_books_script_on_amazon_linux_2023():
    graph = lab_graph("lamp", stage="starter", options=COURSEWORK)
    web = instances(graph)["web"]
    script = web.inputs["userData"]
    assert script == wordpress.starter_user_data()  # no secret in it: nothing knows the database yet
    assert "dnf install -y httpd php php-fpm php-mysqlnd mariadb105;" in script and "php-mysql " not in script
    assert "curl -fsSL -o /tmp/wordpress.tar.gz https://wordpress.org/wordpress-6.8.3.tar.gz" in script
    for step in ("cp -r /tmp/wordpress/* /var/www/html/", "chmod -R 755 wp-content", "chown -R apache:apache wp-content",
                 "systemctl enable httpd"):
        assert step in script
    assert "wp-config.php" not in script  # the student runs WordPress's setup
    (db,) = graph.of_type(DB)
    assert db.urn not in web.property_dependencies.get("userData", [])


def test_coursework_solution_user_data_is_secret_and_configures_wordpress():
    graph = lab_graph("lamp", options=COURSEWORK)
    (db,), (password,) = graph.of_type(DB), graph.of_type(PASSWORD)
    web = instances(graph)["web"]
    assert web.inputs["userData"] == "[secret]"
    assert set(web.property_dependencies["userData"]) == {db.urn, password.urn}
    script = wordpress.solution_user_data(wordpress.Database(db.outputs["address"], "exampleDB", "admin", "PASSWORD20chars0000"))
    assert (f"s/'database_name_here'/'exampleDB'/; s/'username_here'/'admin'/; s/'password_here'/'PASSWORD20chars0000'/; "
            f"s/'localhost'/'{db.outputs['address']}'/") in script
    assert "chown root:apache wp-config.php" in script and "chmod 0640 wp-config.php" in script
    assert "set -x" not in script and "set -euxo" not in script and "put your unique phrase here" in script
    assert script.startswith(wordpress.starter_user_data().split("\n", 2)[0])


def test_the_solution_script_writes_a_working_wp_config(tmp_path):
    """Run the script's configuration lines on WordPress's own sample file shape: every placeholder
    replaced, eight distinct salts."""
    import re
    import subprocess
    sample = "\n".join(["define( 'DB_NAME', 'database_name_here' );", "define( 'DB_USER', 'username_here' );",
                        "define( 'DB_PASSWORD', 'password_here' );", "define( 'DB_HOST', 'localhost' );",
                        *[f"define( '{k}', 'put your unique phrase here' );" for k in
                          ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT",
                           "LOGGED_IN_SALT", "NONCE_SALT")], ""])
    (tmp_path / "wp-config-sample.php").write_text(sample)
    script = wordpress.solution_user_data(wordpress.Database("db.example.internal", "exampleDB", "admin", "Abc123"))
    lines = script.splitlines()
    start = lines.index("cp wp-config-sample.php wp-config.php")
    end = lines.index("chown root:apache wp-config.php")
    subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(lines[start:end])], cwd=tmp_path, check=True)
    config = (tmp_path / "wp-config.php").read_text()
    assert "define( 'DB_NAME', 'exampleDB' );" in config and "define( 'DB_USER', 'admin' );" in config
    assert "define( 'DB_PASSWORD', 'Abc123' );" in config and "define( 'DB_HOST', 'db.example.internal' );" in config
    salts = re.findall(r"define\( '\w+_(?:KEY|SALT)', '([^']*)' \);", config)
    assert len(salts) == 8 and len(set(salts)) == 8 and all(len(s) >= 40 for s in salts)


@pytest.mark.parametrize("stage,coursework", [("solution", False), ("starter", True), ("solution", True)])
def test_the_mysql_command_the_outputs_give_runs_on_the_web_server(stage, coursework):
    """mysqlFromWeb is run on the web server: its user data installs the client that provides `mysql`
    (Ubuntu's mysql-client; on Amazon Linux 2023, which has none, mariadb105). The plain starter is the
    book's: the student installs mysql-client by hand (book ch. 10, “Networking” › “Adding data to the database”)."""
    graph = lab_graph("lamp", stage=stage, options=COURSEWORK if coursework else None)
    assert graph.outputs["lamp"]["mysqlFromWeb"].startswith("mysql -h ")
    script = instances(graph)["web"].inputs["userData"]
    if script == "[secret]":  # the solution's carries the password: the same script, made without the graph
        script = wordpress.solution_user_data(wordpress.Database("h", "d", "u", "p")) if coursework else lamp_user_data("h", 3306, "p")
    installs = re.split(r"[\s;&|]+", " ".join(line for line in script.splitlines() if "install -y" in line))
    assert ("mariadb105" if coursework else "mysql-client") in installs


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_coursework_outputs(stage):
    graph = lab_graph("lamp", stage=stage, options=COURSEWORK)
    out = graph.outputs["lamp"]
    (db,) = graph.of_type(DB)
    wp = out["wordpress"]
    assert (wp["version"], wp["healthCheckPath"]) == ("6.8.3", "/wp-admin/install.php")
    assert out["dbPassword"] == "[secret]" and out["dbEndpoint"] == db.outputs["endpoint"]
    if stage == "starter":
        assert "albUrl" not in out and wp["setupUrl"] == out["url"]
        assert wp["setup"] == {"databaseName": "exampleDB", "username": "admin", "databaseHost": db.outputs["address"],
                               "passwordFrom": "dbPassword: pulumi stack output lamp --show-secrets --json"}
        assert "SN-WEB-2" in wp["nextStep"] and "Name tag web-ALB" in wp["nextStep"]
    else:
        (alb,) = graph.of_type(ALB)
        assert out["albUrl"] == f"http://{alb.outputs['dnsName']}/" == wp["installUrl"]
        assert "setup" not in wp


def test_coursework_probes_wordpress_through_the_alb_else_on_the_server():
    from cloudlabs.catalog import LABS
    probes = LABS["lamp"].probes
    solution = lab_graph("lamp", options=COURSEWORK).outputs["lamp"]
    (probe,) = probes(solution)
    assert (probe.name, probe.url, probe.texts) == ("WordPress through the ALB", solution["albUrl"], ("WordPress",))
    starter = lab_graph("lamp", stage="starter", options=COURSEWORK).outputs["lamp"]
    (probe,) = probes(starter)
    assert (probe.name, probe.url) == ("WordPress page", starter["url"])
    (probe,) = probes(lab_graph("lamp").outputs["lamp"])
    assert probe.name == "LAMP page rows"


@pytest.mark.parametrize("database_up", [True, False])
def test_the_wordpress_probe_follows_the_install_redirect_and_fails_on_a_database_error(database_up):
    """A local server answering like WordPress behind the ALB: "/" redirects to the install page
    (not installed yet), or the database is down and every page is a 500."""
    import threading
    from labctl.ops.probe import StaticOutputs, probe_stack
    site = Hosts()
    try:
        if database_up:
            url = site.redirect("/", "/wp-admin/install.php")
            site.page("/wp-admin/install.php", "<title>WordPress &rsaquo; Installation</title>")
        else:
            url = site.page("/", "<title>WordPress &rsaquo; Error</title>Error establishing a database connection", 500)
        outputs = {"lamp": {"url": "http://127.0.0.1:9/", "wordpress": {}, "albUrl": url}}
        (result,) = probe_stack("s", ["lamp"], StaticOutputs({"s": outputs}), attempts=1, interval=0,
                                stop=threading.Event())
    finally:
        site.close()
    assert result.probe == "WordPress through the ALB" and result.passed is database_up, result.detail
    assert ("HTTP 200 with 'WordPress'" if database_up else "HTTP 500") in result.detail


def test_coursework_option_is_a_boolean_and_bad_values_exit_2(tmp_path, capsys):
    import shutil
    import yaml
    from labctl.cli.main import main
    from labctl.offline.render import ENVIRONMENTS
    env = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, env)
    stack = env / "Pulumi.demo-app-a05.yaml"
    doc = yaml.safe_load(stack.read_text())
    doc["config"]["cloudlabs:labs"] = [{"lab": "lamp", "options": {"coursework": "yes"}}]
    stack.write_text(yaml.safe_dump(doc))
    before = stack.read_bytes()
    code = main(["plan", "demo-app-a05", "--environments", str(env)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert 'cloudlabs:labs[0].options.coursework: "yes" is not allowed; allowed: true or false' in err[0]
    assert stack.read_bytes() == before


# --- graded on the emulator: the stack functioning, then the student's load balancer ---------------------------


@pytest.fixture
def emulated(monkeypatch, tmp_path):
    """The coursework's starter up on in-process moto, read by `labctl grade` through the CLI's seam."""
    with emulated_stack(monkeypatch, tmp_path, "demo-app-a05", {"lab": "lamp", "stage": "starter", "options": COURSEWORK}) as (session, env):
        yield session, env


def grade_failures(capsys, env, stage: str) -> tuple[int, set[str]]:
    import json
    from labctl.cli.main import main
    code = main(["grade", "demo-app-a05", "--environments", str(env), "--stage", stage, "--json", "-"])
    (student,) = json.loads(capsys.readouterr().out)
    return code, {p["path"] for p in student["paths"] if not p["passed"]}


def test_the_coursework_graded_before_and_after_the_students_load_balancer(emulated, capsys):
    session, env = emulated
    assert grade_failures(capsys, env, "starter") == (0, set())  # the stack functions: WordPress's setup on the server
    code, failing = grade_failures(capsys, env, "solution")
    assert code == 1 and failing == {"internet -> web-ALB:80", "web-ALB -> web:80", "internet -> web:80"}
    ec2, elb = session.client("ec2"), session.client("elbv2")

    def named(kind: str, items: str, name: str) -> dict:
        (found,) = getattr(ec2, f"describe_{kind}")(Filters=[{"Name": "tag:Name", "Values": [name]}])[items]
        return found

    vpc = named("vpcs", "Vpcs", "VPC")["VpcId"]
    subnets = [named("subnets", "Subnets", n)["SubnetId"] for n in ("SN-WEB", "SN-WEB-2")]
    web_sg = named("security_groups", "SecurityGroups", "web-SG")["GroupId"]
    alb_sg = ec2.create_security_group(GroupName="web-ALB-SG", Description="ALB", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    alb = elb.create_load_balancer(Name="web-alb", Subnets=subnets, SecurityGroups=[alb_sg], Scheme="internet-facing",
                                   Type="application", Tags=[{"Key": "Name", "Value": "web-ALB"}])  # the book's name, as nextStep says
    group = elb.create_target_group(Name="web-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance",
                                    HealthCheckPath="/wp-admin/install.php")["TargetGroups"][0]
    (web,) = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
              if {"Key": "Name", "Value": "web"} in i.get("Tags", [])]
    elb.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": web["InstanceId"], "Port": 80}])
    elb.create_listener(LoadBalancerArn=alb["LoadBalancers"][0]["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
    code, failing = grade_failures(capsys, env, "solution")
    assert code == 1 and failing == {"internet -> web:80"}  # the server still answers the world directly
    ec2.revoke_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
    assert grade_failures(capsys, env, "solution") == (0, set())
