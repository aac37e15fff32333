"""labctl: the instructor's tool.

Layers, imported in one direction only (tests/test_layout.py enforces it):
``cli`` -> ``analysis`` / ``ops`` -> ``offline`` -> ``cloudlabs`` (the Pulumi-free core).
"""
