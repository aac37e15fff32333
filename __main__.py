"""cloudlabs Pulumi program: read the stack's settings, build the selected labs, export outputs."""

import pulumi

from cloudlabs.content import LabContentError

from cloudlabs.settings import SettingsError, parse_settings
from components.program import build_stack, runtime_config

try:
    settings = parse_settings(runtime_config(), source=f"environments/Pulumi.{pulumi.get_stack()}.yaml", runtime=True)
except SettingsError as err:
    # One message per bad setting, no traceback, and nothing registered.
    raise pulumi.RunError(str(err)) from err

try:
    outputs = build_stack(settings)
except LabContentError as err:
    # A link or device in labs/ (the path named): nothing of it is read, nothing more registered.
    raise pulumi.RunError(str(err)) from err
for name, value in outputs.items():
    pulumi.export(name, value)
