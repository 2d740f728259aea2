"""Imports every method and experiment so that both registries are complete."""

import tfssl.configs.simclr  # noqa: F401
import tfssl.methods.simclr  # noqa: F401
