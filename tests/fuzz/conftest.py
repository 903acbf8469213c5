"""Hypothesis settings for the fuzz tests. CI runs a fixed set of examples, so a red build
always points at a real, reproducible input; locally every run explores new ones."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
