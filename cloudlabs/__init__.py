"""Pure, Pulumi-free core of cloudlabs: the lab catalog, guardrail profiles, stack settings,
the per-student address plan and machine-image/user-data data.

``components`` and ``labctl`` import from here; nothing here imports them (or Pulumi).
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

