"""cloudlabs Pulumi program: read the stack's settings, build the selected labs, export outputs."""

import pulumi

from cloudlabs.settings import SettingsError, parse_settings
from components.program import build_stack, runtime_config

try:
    settings = parse_settings(runtime_config(), source=f"environments/Pulumi.{pulumi.get_stack()}.yaml", runtime=True)
except SettingsError as err:
    # One message per bad setting, no traceback, and nothing registered.
    raise pulumi.RunError(str(err)) from err

for name, value in build_stack(settings).items():
    pulumi.export(name, value)
