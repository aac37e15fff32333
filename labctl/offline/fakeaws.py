"""AWS-shaped answers for Pulumi's mocks: what the renderer's resources and lookups "return".

Values look like AWS (ids with the right prefixes, ARNs, private IPs inside the instance's
subnet, the region's zone names, public IPs from the documentation ranges) and are
deterministic: they derive from URNs and logical names, never from the (concurrent,
unordered) registration order, so rendering a stack twice gives the same graph.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from ipaddress import IPv4Address, IPv4Network, IPv6Network
from typing import Any, Callable

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

ACCOUNT_ID = "123456789012"
# Public addresses come from the documentation ranges (RFC 5737), never from real AWS space.
INSTANCE_PUBLIC_IPS = IPv4Network("198.51.100.0/24")
ELASTIC_IPS = IPv4Network("192.0.2.0/24")
IPV6_POOL = IPv6Network("2001:db8::/32")  # RFC 3849

ZONES = {
    "us-east-1": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"],
    "us-east-2": ["us-east-2a", "us-east-2b", "us-east-2c"],
    "us-west-2": ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
}
# us-east-1e is the zone that lacks current instance families (it has no t3).
ZONES_WITHOUT_CURRENT_TYPES = {"us-east-1e"}


# Solution stacks, newest first, as Elastic Beanstalk names them (a few of each kind).
SOLUTION_STACKS = (
    "64bit Amazon Linux 2023 v4.7.2 running PHP 8.4",
    "64bit Amazon Linux 2023 v4.7.2 running PHP 8.3",
    "64bit Amazon Linux 2023 v6.6.2 running Node.js 22",
    "64bit Amazon Linux 2023 v4.5.2 running Python 3.13",
    "64bit Amazon Linux 2 v3.9.2 running PHP 8.1",
)


def platform_of(stack: str) -> str:
    """A platform ARN's name part from a solution stack name: "PHP 8.4 running on 64bit Amazon Linux 2023/4.7.2"."""
    match = re.match(r"^(64bit Amazon Linux [\d.]+) v([\d.]+) running (.+)$", stack)
    return f"{match.group(3)} running on {match.group(1)}/{match.group(2)}" if match else stack


def zones_of(region: str) -> list[str]:
    return ZONES.get(region, [f"{region}{c}" for c in "abc"])


def zone_ids_of(region: str) -> list[str]:
    """Zone ids like use1-az1 (us-east-1) or usw2-az3 (us-west-2)."""
    area, direction, number = region.split("-")
    return [f"{area}{direction[0]}{number}-az{i + 1}" for i in range(len(zones_of(region)))]


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:8], "big")


def _hex(seed: str, length: int = 17) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


class FakeAws(Mocks):
    """Mocks answering like AWS in one region for one stack."""

    def __init__(self, region: str, stack: str):
        self.region = region
        self.stack = stack
        self._lock = threading.Lock()
        self._by_id: dict[str, dict[str, Any]] = {}  # id -> computed state, for cross-references
        self._taken_ips: dict[str, set[IPv4Address]] = {}
        self._handlers: dict[str, Callable[[MockResourceArgs, str], tuple[str, dict[str, Any]]]] = {
            "aws:ec2/vpc:Vpc": self._vpc,
            "aws:ec2/subnet:Subnet": self._subnet,
            "aws:ec2/eip:Eip": self._eip,
            "aws:ec2/natGateway:NatGateway": self._nat_gateway,
            "aws:ec2/instance:Instance": self._instance,
            "aws:ec2/securityGroup:SecurityGroup": self._security_group,
            "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": self._peering,
            "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": self._peering_accepter,
            "aws:lb/loadBalancer:LoadBalancer": self._load_balancer,
            "aws:lb/targetGroup:TargetGroup": self._target_group,
            "aws:lb/listener:Listener": lambda a, _: self._arn_only(a, "elasticloadbalancing", "listener/app"),
            "aws:ec2/launchTemplate:LaunchTemplate": self._launch_template,
            "aws:autoscaling/group:Group": self._autoscaling_group,
            "aws:autoscaling/policy:Policy": lambda a, _: self._arn_only(a, "autoscaling", "scalingPolicy"),
            "aws:rds/instance:Instance": self._database,
            "aws:rds/subnetGroup:SubnetGroup": self._db_subnet_group,
            "random:index/randomPassword:RandomPassword": self._random_password,
            "tls:index/privateKey:PrivateKey": self._private_key,
            "aws:ec2/keyPair:KeyPair": self._key_pair,
            "aws:s3/bucket:Bucket": self._bucket,
            "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration": self._website,
            "aws:ec2/vpcEndpoint:VpcEndpoint": self._vpc_endpoint,
            **self._container_handlers(),
            "aws:elasticbeanstalk/application:Application": self._eb_application,
            "aws:elasticbeanstalk/applicationVersion:ApplicationVersion": self._eb_version,
            "aws:elasticbeanstalk/environment:Environment": self._eb_environment,
            "aws:iam/role:Role": lambda a, _: self._iam_named(a, "role", "AROA"),
            "aws:iam/instanceProfile:InstanceProfile": lambda a, _: self._iam_named(a, "instance-profile", "AIPA"),
        }

    # --- helpers -------------------------------------------------------------------------------

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    def _new_id(self, prefix: str, args: MockResourceArgs) -> str:
        return f"{prefix}-{_hex(f'{self.stack}/{args.typ}/{args.name}')}"

    def _private_ip(self, subnet_id: str, args: MockResourceArgs) -> str:
        """A host address of the subnet, chosen by logical name (the same in every stack), past
        the first four addresses AWS reserves; the next free one on a collision."""
        subnet = self._by_id.get(subnet_id)
        if subnet is None:
            raise ValueError(f"{args.name}: subnet {subnet_id} is not part of this stack")
        network = IPv4Network(subnet["cidrBlock"])
        usable = network.num_addresses - 5  # .0-.3 and the broadcast address are reserved
        with self._lock:
            taken = self._taken_ips.setdefault(subnet_id, set())
            offset = _digest(args.typ, args.name) % usable
            for step in range(usable):
                address = network.network_address + 4 + (offset + step) % usable
                if address not in taken:
                    taken.add(address)
                    return str(address)
        raise ValueError(f"subnet {network} is full")

    def _public_ip(self, pool: IPv4Network, args: MockResourceArgs) -> str:
        """An address of a documentation range: the logical name picks the slot and the stack
        shifts every slot by the same amount. So students get different addresses, a stack's
        addresses are distinct whenever the lab's names hash apart (tests check every lab), and
        no answer depends on the order resources happen to register in."""
        slots = pool.num_addresses - 2
        return str(pool.network_address + 1 + (_digest(args.typ, args.name) + _digest(self.stack)) % slots)

    def _dns_names(self, private_ip: str, public_ip: str | None) -> dict[str, str]:
        internal = "ec2.internal" if self.region == "us-east-1" else f"{self.region}.compute.internal"
        external = "compute-1.amazonaws.com" if self.region == "us-east-1" else f"{self.region}.compute.amazonaws.com"
        names = {"privateDns": f"ip-{private_ip.replace('.', '-')}.{internal}"}
        names["publicDns"] = f"ec2-{public_ip.replace('.', '-')}.{external}" if public_ip else ""
        return names

    # --- resources -----------------------------------------------------------------------------

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        handler = self._handlers.get(args.typ, self._generic)
        resource_id, computed = handler(args, "")
        with self._lock:
            self._by_id[resource_id] = {**args.inputs, **computed}
        return resource_id, {**args.inputs, **computed}

    def _generic(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        prefixes = {
            "aws:ec2/internetGateway:InternetGateway": ("igw", "ec2", "internet-gateway"),
            "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": ("eigw", "ec2", "egress-only-internet-gateway"),
            "aws:ec2/routeTable:RouteTable": ("rtb", "ec2", "route-table"),
            "aws:ec2/routeTableAssociation:RouteTableAssociation": ("rtbassoc", None, None),
            "aws:ec2/networkAcl:NetworkAcl": ("acl", "ec2", "network-acl"),
            "aws:ec2/networkAclRule:NetworkAclRule": ("nacl", None, None),
            "aws:ec2/networkAclAssociation:NetworkAclAssociation": ("aclassoc", None, None),
            "aws:ec2/route:Route": ("r", None, None),
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("sgr", "ec2", "security-group-rule"),
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("sgr", "ec2", "security-group-rule"),
        }
        if not args.custom:  # component resources have no cloud identity
            return "", {}
        prefix, service, kind = prefixes.get(args.typ, (args.typ.split(":")[-1].lower(), None, None))
        resource_id = self._new_id(prefix, args)
        computed: dict[str, Any] = {"id": resource_id}
        if service:
            computed["arn"] = self.arn(service, f"{kind}/{resource_id}")
        if args.typ.startswith("aws:vpc/securityGroup"):
            computed["securityGroupRuleId"] = resource_id
        if prefix == "rtb":
            computed["ownerId"] = ACCOUNT_ID
        return resource_id, computed

    def _vpc(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        vpc_id = self._new_id("vpc", args)
        computed = {
            "arn": self.arn("ec2", f"vpc/{vpc_id}"),
            "ownerId": ACCOUNT_ID,
            "mainRouteTableId": f"rtb-{_hex(vpc_id + '/main')}",
            "defaultRouteTableId": f"rtb-{_hex(vpc_id + '/main')}",
            "defaultSecurityGroupId": f"sg-{_hex(vpc_id + '/default-sg')}",
            "defaultNetworkAclId": f"acl-{_hex(vpc_id + '/default-acl')}",
            "instanceTenancy": "default",
            "enableDnsSupport": args.inputs.get("enableDnsSupport", True),
        }
        if args.inputs.get("assignGeneratedIpv6CidrBlock"):
            index = _digest(self.stack, args.name) % (1 << 24)  # a /56 out of the /32
            block = IPv6Network((int(IPV6_POOL.network_address) + (index << 72), 56))
            computed["ipv6CidrBlock"] = str(block)
            computed["ipv6AssociationId"] = f"vpc-cidr-assoc-{_hex(vpc_id + '/v6')}"
        return vpc_id, computed

    def _subnet(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        subnet_id = self._new_id("subnet", args)
        zone = args.inputs.get("availabilityZone") or zones_of(self.region)[0]
        zone_ids = dict(zip(zones_of(self.region), zone_ids_of(self.region)))
        return subnet_id, {
            "arn": self.arn("ec2", f"subnet/{subnet_id}"),
            "ownerId": ACCOUNT_ID,
            "availabilityZone": zone,
            "availabilityZoneId": zone_ids.get(zone, ""),
        }

    def _eip(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        allocation = self._new_id("eipalloc", args)
        public_ip = self._public_ip(ELASTIC_IPS, args)
        return allocation, {
            "allocationId": allocation,
            "publicIp": public_ip,
            "publicDns": f"ec2-{public_ip.replace('.', '-')}.compute-1.amazonaws.com",
            "domain": "vpc",
            "arn": self.arn("ec2", f"elastic-ip/{allocation}"),
        }

    def _nat_gateway(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        nat_id = self._new_id("nat", args)
        eip = self._by_id.get(args.inputs.get("allocationId", ""), {})
        return nat_id, {
            "privateIp": self._private_ip(args.inputs["subnetId"], args),
            "publicIp": eip.get("publicIp", ""),
            "networkInterfaceId": f"eni-{_hex(nat_id + '/eni')}",
            "associationId": f"eipassoc-{_hex(nat_id + '/assoc')}",
        }

    def _security_group(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        group_id = self._new_id("sg", args)
        name = args.inputs.get("name") or f"{args.inputs.get('namePrefix', 'terraform-')}{_hex(group_id, 26)}"
        return group_id, {"arn": self.arn("ec2", f"security-group/{group_id}"), "ownerId": ACCOUNT_ID, "name": name}

    def _name(self, args: MockResourceArgs, length: int = 26) -> str:
        """A resource's AWS name: the given name, or the prefix plus a generated suffix."""
        if args.inputs.get("name"):
            return args.inputs["name"]
        return (args.inputs.get("namePrefix") or "tf-") + _hex(f"{self.stack}/{args.name}", length)

    def _arn_only(self, args: MockResourceArgs, service: str, kind: str) -> tuple[str, dict[str, Any]]:
        arn = self.arn(service, f"{kind}/{args.name}/{_hex(self.stack + args.name, 16)}")
        return arn, {"arn": arn}

    def _load_balancer(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = self._name(args, 6)
        arn = self.arn("elasticloadbalancing", f"loadbalancer/app/{name}/{_hex(self.stack + args.name, 16)}")
        return arn, {"arn": arn, "name": name, "dnsName": f"{name}-{_digest(self.stack, args.name) % 10**10}.{self.region}.elb.amazonaws.com",
                     "zoneId": "Z35SXDOTRQ7X7K", "arnSuffix": arn.split(":loadbalancer/")[1]}

    def _target_group(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = self._name(args, 6)
        arn = self.arn("elasticloadbalancing", f"targetgroup/{name}/{_hex(self.stack + args.name, 16)}")
        return arn, {"arn": arn, "name": name, "arnSuffix": arn.split(":")[-1]}

    def _launch_template(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        lt = self._new_id("lt", args)
        return lt, {"arn": self.arn("ec2", f"launch-template/{lt}"), "latestVersion": 1, "defaultVersion": 1,
                    "name": self._name(args)}

    def _autoscaling_group(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = self._name(args)
        return name, {"name": name, "arn": self.arn("autoscaling", f"autoScalingGroup:{_hex(name, 32)}:autoScalingGroupName/{name}")}

    def _database(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        identifier = args.inputs.get("identifier") or (args.inputs.get("identifierPrefix") or "db-") + _hex(self.stack + args.name, 26)
        address = f"{identifier}.c{_hex(self.stack, 11)}.{self.region}.rds.amazonaws.com"
        port = int(args.inputs.get("port") or 3306)
        computed = {"identifier": identifier, "address": address, "endpoint": f"{address}:{port}", "port": port,
                    "arn": self.arn("rds", f"db:{identifier}"), "resourceId": f"db-{_hex(identifier, 26).upper()}",
                    "hostedZoneId": "Z2R2ITUGPM61AM", "status": "available"}
        if args.inputs.get("manageMasterUserPassword"):  # RDS keeps the password in a secret of its own
            secret = f"rds!db-{_hex(identifier, 8)}-{_hex(identifier + '/s', 4)}-{_hex(identifier + '/t', 4)}-{_hex(identifier + '/u', 12)}"
            computed["masterUserSecrets"] = [{"secretArn": self.arn("secretsmanager", f"secret:{secret}-{_hex(secret, 6)}"),
                                              "secretStatus": "active", "kmsKeyId": self.arn("kms", f"key/{_hex(secret, 32)}")}]
        return identifier, computed

    def _db_subnet_group(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = self._name(args)
        return name, {"name": name, "arn": self.arn("rds", f"subgrp:{name}")}

    def _random_password(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        """A password-shaped string from the logical name; the program marks it secret."""
        length = int(args.inputs.get("length", 16))
        alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        seed = hashlib.sha256(f"{self.stack}/{args.name}/password".encode()).digest() * 4
        result = "".join(alphabet[b % len(alphabet)] for b in seed[:length])
        return "none", {"result": result, "bcryptHash": "$2a$10$" + _hex(result, 53)}

    def _private_key(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        """Key material shaped like the TLS provider's (OpenSSH wire format, base64), from the
        logical name: stable across plans, never a usable key."""
        kind = "ssh-ed25519" if args.inputs.get("algorithm") == "ED25519" else "ssh-rsa"
        size = 32 if kind == "ssh-ed25519" else 512
        seed = b"".join(hashlib.sha256(f"{self.stack}/{args.name}/{i}".encode()).digest() for i in range(size // 32 + 1))
        blob = len(kind).to_bytes(4, "big") + kind.encode() + size.to_bytes(4, "big") + seed[:size]
        public = f"{kind} {base64.b64encode(blob).decode()}\n"
        private = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + base64.b64encode(seed[::-1]).decode() +
                   "\n-----END OPENSSH PRIVATE KEY-----\n")
        fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
        return _hex(self.stack + args.name, 40), {"publicKeyOpenssh": public, "privateKeyOpenssh": private,
                                                   "publicKeyFingerprintSha256": fingerprint}

    def _key_pair(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = args.inputs.get("keyName") or (args.inputs.get("keyNamePrefix") or "terraform-") + _hex(self.stack + args.name, 26)
        key_id = self._new_id("key", args)
        digest = hashlib.md5(str(args.inputs.get("publicKey", "")).encode(), usedforsecurity=False).hexdigest()
        return name, {"keyName": name, "keyPairId": key_id, "arn": self.arn("ec2", f"key-pair/{name}"),
                      "fingerprint": ":".join(digest[i:i + 2] for i in range(0, 32, 2)),
                      "keyType": "ed25519" if str(args.inputs.get("publicKey", "")).startswith("ssh-ed25519") else "rsa"}

    def _bucket(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = args.inputs.get("bucket") or (args.inputs.get("bucketPrefix") or "terraform-") + _hex(self.stack + args.name, 26)
        return name, {"bucket": name, "arn": f"arn:aws:s3:::{name}", "bucketDomainName": f"{name}.s3.amazonaws.com",
                      "bucketRegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com", "region": self.region,
                      "hostedZoneId": "Z3AQBSTGFYJSTF"}

    def _website(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        bucket = args.inputs["bucket"]
        return bucket, {"websiteEndpoint": f"{bucket}.s3-website-{self.region}.amazonaws.com",
                        "websiteDomain": f"s3-website-{self.region}.amazonaws.com"}

    def _vpc_endpoint(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        endpoint = self._new_id("vpce", args)
        return endpoint, {"arn": self.arn("ec2", f"vpc-endpoint/{endpoint}"), "prefixListId": f"pl-{_hex(endpoint, 8)}",
                          "state": "available", "ownerId": ACCOUNT_ID}

    # --- containers: ECR, ECS, IAM, and the docker provider's local objects ---------------------

    def _container_handlers(self) -> dict[str, Callable[[MockResourceArgs, str], tuple[str, dict[str, Any]]]]:
        return {
            "aws:ecr/repository:Repository": self._ecr_repository,
            "aws:ecs/cluster:Cluster": self._ecs_cluster,
            "aws:ecs/taskDefinition:TaskDefinition": self._task_definition,
            "aws:ecs/service:Service": self._ecs_service,
            "docker:index/image:Image": self._docker_image,
            "docker:index/remoteImage:RemoteImage": self._remote_image,
            "docker:index/container:Container": self._container,
            "docker:index/volume:Volume": lambda a, _: (a.inputs.get("name") or a.name, {
                "name": a.inputs.get("name") or a.name, "driver": "local",
                "mountpoint": f"/var/lib/docker/volumes/{a.inputs.get('name') or a.name}/_data"}),
        }

    def _ecr_repository(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = args.inputs.get("name") or args.name
        return name, {"name": name, "registryId": ACCOUNT_ID, "arn": self.arn("ecr", f"repository/{name}"),
                      "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com/{name}"}

    def _ecs_cluster(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = args.inputs.get("name") or f"{args.name}-{_hex(self.stack + args.name, 7)}"
        arn = self.arn("ecs", f"cluster/{name}")
        return arn, {"name": name, "arn": arn}

    def _task_definition(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        family = args.inputs["family"]
        arn = self.arn("ecs", f"task-definition/{family}:1")  # the id is the ARN: the family is also the service's name
        return arn, {"arn": arn, "revision": 1,
                        "arnWithoutRevision": self.arn("ecs", f"task-definition/{family}")}

    def _ecs_service(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = args.inputs.get("name") or args.name
        cluster = str(args.inputs.get("cluster", "")).rsplit("/", 1)[-1]
        arn = self.arn("ecs", f"service/{cluster}/{name}")
        return arn, {"name": name, "arn": arn}

    def _docker_image(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        """What a build would report: the name given and a digest from the logical name and the name
        (the tag carries the build context's digest). Nothing is built: no Docker engine here."""
        name = str(args.inputs.get("imageName", args.name))
        digest = "sha256:" + hashlib.sha256(f"{self.stack}/{args.name}/{name}".encode()).hexdigest()
        repository = name.rsplit(":", 1)[0]
        build = args.inputs.get("build") or {}
        registry = args.inputs.get("registry") or {}
        return f"{name}@{digest}", {"imageName": name, "repoDigest": f"{repository}@{digest}",
                                    "baseImageName": name, "context": build.get("context", ""),
                                    "dockerfile": build.get("dockerfile", ""), "platform": build.get("platform"),
                                    "registryServer": registry.get("server", "")}

    def _remote_image(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = str(args.inputs.get("name", args.name))
        digest = "sha256:" + hashlib.sha256(f"remote/{name}".encode()).hexdigest()
        return f"{digest}{name}", {"imageId": digest, "repoDigest": f"{name.split(':')[0]}@{digest}"}

    def _container(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        container_id = hashlib.sha256(f"{self.stack}/{args.name}".encode()).hexdigest()
        return container_id, {"name": args.inputs.get("name") or args.name, "hostname": container_id[:12],
                              "exitCode": None, "networkDatas": [{"networkName": "bridge", "gateway": "172.17.0.1"}]}
    def _eb_application(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        name = args.inputs["name"]
        return name, {"name": name, "arn": self.arn("elasticbeanstalk", f"application/{name}")}

    def _eb_version(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        label, application = args.inputs["name"], args.inputs["application"]
        return label, {"name": label, "arn": self.arn("elasticbeanstalk", f"applicationversion/{application}/{label}")}

    def _eb_environment(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        """As Beanstalk answers: an e- id, a CNAME under the region's elasticbeanstalk.com with the
        eba- infix (the book's Example-env.eba-hvmgnwpx...), and the endpoint: a single instance's
        Elastic IP, or the load balancer's DNS name."""
        name, application = args.inputs["name"], args.inputs["application"]
        env_id = "e-" + _hex(f"{self.stack}/{args.name}", 10)
        settings = {(s.get("namespace"), s.get("name")): s.get("value") for s in args.inputs.get("settings") or []}
        single = settings.get(("aws:elasticbeanstalk:environment", "EnvironmentType")) == "SingleInstance"
        tag = _hex(f"{self.stack}/{args.name}/awseb", 13).upper()
        endpoint = (self._public_ip(ELASTIC_IPS, args) if single
                    else f"awseb-AWSEB-{tag}-{_digest(self.stack, args.name) % 10**10}.{self.region}.elb.amazonaws.com")
        return env_id, {
            "name": name, "arn": self.arn("elasticbeanstalk", f"environment/{application}/{name}"),
            "cname": f"{name.lower()}.eba-{_hex(self.stack + args.name, 8)}.{self.region}.elasticbeanstalk.com",
            "endpointUrl": endpoint, "tier": args.inputs.get("tier", "WebServer"),
            "platformArn": f"arn:aws:elasticbeanstalk:{self.region}::platform/{platform_of(args.inputs.get('solutionStackName', ''))}",
            "allSettings": args.inputs.get("settings") or [],
            "autoscalingGroups": [f"awseb-{env_id}-stack-AWSEBAutoScalingGroup-{tag}"],
            "instances": [], "launchConfigurations": [], "queues": [], "triggers": [],
            "loadBalancers": [] if single else [endpoint.split(".")[0][:32]],
        }

    def _iam_named(self, args: MockResourceArgs, kind: str, id_prefix: str) -> tuple[str, dict[str, Any]]:
        """IAM roles and instance profiles: named (or prefix plus suffix), global ARNs without a region."""
        name = self._name(args)
        return name, {"name": name, "arn": f"arn:aws:iam::{ACCOUNT_ID}:{kind}/{name}",
                      "uniqueId": id_prefix + _hex(f"{self.stack}/{args.name}", 17).upper(), "createDate": "2026-11-01T00:00:00Z"}

    def _peering(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        pcx = self._new_id("pcx", args)
        return pcx, {"arn": self.arn("ec2", f"vpc-peering-connection/{pcx}"), "peerOwnerId": ACCOUNT_ID,
                     "peerRegion": self.region,
                     "acceptStatus": "active" if args.inputs.get("autoAccept") else "pending-acceptance"}

    def _peering_accepter(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        pcx = args.inputs["vpcPeeringConnectionId"]
        requested = self._by_id.get(pcx, {})
        return pcx, {"acceptStatus": "active", "vpcId": requested.get("peerVpcId", ""),
                     "peerVpcId": requested.get("vpcId", ""), "peerOwnerId": ACCOUNT_ID, "peerRegion": self.region}

    def _ipv6_addresses(self, subnet: dict[str, Any], args: MockResourceArgs) -> list[str]:
        count = int(args.inputs.get("ipv6AddressCount") or (1 if subnet.get("assignIpv6AddressOnCreation") else 0))
        if not count or not subnet.get("ipv6CidrBlock"):
            return []
        block = IPv6Network(subnet["ipv6CidrBlock"])
        return [str(block.network_address + 16 + (_digest(args.typ, args.name, str(i)) % (1 << 48))) for i in range(count)]

    def _instance(self, args: MockResourceArgs, _: str) -> tuple[str, dict[str, Any]]:
        instance_id = self._new_id("i", args)
        subnet_id = args.inputs["subnetId"]
        subnet = self._by_id.get(subnet_id, {})
        private_ip = self._private_ip(subnet_id, args)
        public = args.inputs.get("associatePublicIpAddress", subnet.get("mapPublicIpOnLaunch", False))
        public_ip = self._public_ip(INSTANCE_PUBLIC_IPS, args) if public else ""
        return instance_id, {
            "arn": self.arn("ec2", f"instance/{instance_id}"),
            "availabilityZone": subnet.get("availabilityZone", ""),
            "privateIp": private_ip,
            "publicIp": public_ip,
            **self._dns_names(private_ip, public_ip or None),
            "primaryNetworkInterfaceId": f"eni-{_hex(instance_id + '/eni')}",
            "ipv6Addresses": self._ipv6_addresses(subnet, args),
            "instanceState": "running",
        }

    # --- lookups (invokes) ---------------------------------------------------------------------

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]  # the SDK accepts a plain dict
        handlers = {
            "aws:index/getAvailabilityZones:getAvailabilityZones": self._zones,
            "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": self._offerings,
            "aws:ec2/getAmi:getAmi": self._ami,
            "aws:elasticbeanstalk/getSolutionStack:getSolutionStack": self._solution_stack,
            "aws:index/getRegion:getRegion": lambda a: {"id": self.region, "name": self.region, "region": self.region},
            "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
                "id": ACCOUNT_ID, "accountId": ACCOUNT_ID, "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/LabRole/cloudlabs",
                "userId": "AROAEXAMPLE:cloudlabs"},
            "aws:ecr/getAuthorizationToken:getAuthorizationToken": self._ecr_token,
            "aws:iam/getRole:getRole": self._iam_get_role,
        }
        handler = handlers.get(args.token)
        if handler is None:
            # An unmodelled lookup must fail loudly: a silent {} would render a wrong graph.
            raise NotImplementedError(f"the offline renderer has no answer for lookup {args.token}; add one in labctl/offline/fakeaws.py")
        return handler(args.args)

    def _ecr_token(self, query: dict[str, Any]) -> dict[str, Any]:
        """ECR's registry credentials: user AWS and a token-shaped password (the program marks it secret)."""
        registry = query.get("registryId") or ACCOUNT_ID
        password = base64.b64encode(hashlib.sha256(f"{self.stack}/ecr/{registry}".encode()).digest() * 4).decode()
        return {"id": self.region, "registryId": registry, "userName": "AWS", "password": password,
                "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
                "proxyEndpoint": f"https://{registry}.dkr.ecr.{self.region}.amazonaws.com", "expiresAt": "2026-12-19T12:00:00Z"}

    def _iam_get_role(self, query: dict[str, Any]) -> dict[str, Any]:
        """A role that exists before the stack (Learner Lab's LabRole)."""
        name = query["name"]
        return {"id": name, "name": name, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}", "path": "/",
                "uniqueId": f"AROA{_hex(name, 17).upper()}", "assumeRolePolicy": "{}", "maxSessionDuration": 3600}

    def _zones(self, _: dict[str, Any]) -> dict[str, Any]:
        names = zones_of(self.region)
        return {"id": self.region, "names": names, "zoneIds": zone_ids_of(self.region),
                "groupNames": [self.region] * len(names), "state": "available"}

    def _offerings(self, query: dict[str, Any]) -> dict[str, Any]:
        wanted = [v for f in query.get("filters") or [] if f.get("name") == "instance-type" for v in f.get("values", [])]
        zones = [z for z in zones_of(self.region)
                 if not (z in ZONES_WITHOUT_CURRENT_TYPES and any(not t.startswith("t2.") for t in wanted))]
        return {"id": self.region, "locations": zones, "locationTypes": ["availability-zone"] * len(zones),
                "instanceTypes": (wanted[:1] or ["t3.micro"]) * len(zones)}

    def _solution_stack(self, query: dict[str, Any]) -> dict[str, Any]:
        """The newest stack whose name matches, from names as ListAvailableSolutionStacks gives them."""
        pattern = re.compile(query.get("nameRegex") or ".*")
        for name in SOLUTION_STACKS:
            if pattern.search(name):
                return {"id": self.region, "name": name, "nameRegex": query.get("nameRegex"), "mostRecent": query.get("mostRecent")}
        raise ValueError(f"no solution stack matches {pattern.pattern!r} (known: {', '.join(SOLUTION_STACKS)})")

    def _ami(self, query: dict[str, Any]) -> dict[str, Any]:
        filters = {f["name"]: f["values"][0] for f in query.get("filters") or []}
        name = filters.get("name", "image-*").replace("*", "20261101")
        ami_id = f"ami-{_hex(self.region + '/' + name)}"
        return {
            "id": ami_id, "imageId": ami_id, "name": name, "architecture": filters.get("architecture", "x86_64"),
            "ownerId": (query.get("owners") or ["amazon"])[0], "rootDeviceName": "/dev/xvda",
            "rootDeviceType": "ebs", "virtualizationType": "hvm", "state": "available",
            "arn": f"arn:aws:ec2:{self.region}::image/{ami_id}",
        }
