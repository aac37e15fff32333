"""Pulumi ComponentResources: building blocks (LabVpc, LabSecurityGroup, WebServer, Bastion)
and one component per lab (components.labs). No config reading and no globals in here: every
input arrives through an explicit ``...Args`` value."""
