"""How a change replaces a resource, where AWS's CloudFormation schema does not say all of it.

The review (``labctl.analysis.replacement``) reads a kind's create-only properties from its
CloudFormation schema (``createOnlyProperties``, which cfn-lint ships) through the kind's template.
Pulumi's AWS provider is the Terraform provider bridged: where its resource replaces on other
properties than CloudFormation's, or updates in place what CloudFormation recreates, the kind's
``Replaces`` record says so, with the reason. It also names what a replacement loses (a running
instance, a database, a bucket's objects) and the property Pulumi names automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

ANY = "*"  # every input: the provider has no update for the resource

# Sources the records cite.
TF_NO_UPDATE = ("the Terraform AWS provider's resource has no update: every argument forces a new resource "
                "(pulumi-aws bridges it)")
TF_SG_RULE = ("aws_vpc_security_group_{ingress,egress}_rule update a rule in place (EC2 ModifySecurityGroupRules); "
              "only the group forces a new rule")
TF_TAGS = "tags are updated in place by every pulumi-aws resource (CreateTags/DeleteTags), never by a new resource"
TF_ASSOCIATION = "aws_route_table_association changes its table in place (EC2 ReplaceRouteTableAssociation)"
BRIDGE_AUTONAME = ("pulumi-terraform-bridge's nameRequiresDeleteBeforeReplace: a name Pulumi would generate, set by "
                   "the program, makes a replacement delete the old resource first (two cannot share the name)")


NAME_PREFIX = "a name prefix forces a new resource, as the name does (Terraform's name_prefix)"


@dataclass(frozen=True)
class Replaces:
    inputs: tuple[str, ...] = ()  # Pulumi inputs whose change replaces it (ANY: every input), beside the schema's
    updatable: tuple[str, ...] = ()  # CloudFormation create-only properties the provider updates in place
    flag: str = ""  # an input that, when true, makes a change to `flagged` replace it (the provider's *_replace_on_change)
    flagged: tuple[str, ...] = ()
    autoname: str = ""  # the input Pulumi names automatically: set by the program, a replacement deletes first
    loses: str = ""  # what a student loses when it is replaced or deleted: "a running instance", "a database"
    source: str = ""  # where the facts above come from


def autonamed(autoname: str = "name", prefix: str = "namePrefix", inputs: tuple[str, ...] = ()) -> Replaces:
    """A resource Pulumi names (or the program names from a prefix): a new prefix is a new resource."""
    return Replaces(inputs=(prefix, *inputs), autoname=autoname, source=f"{NAME_PREFIX}; {BRIDGE_AUTONAME}")
