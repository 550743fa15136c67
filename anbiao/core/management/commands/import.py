# `anbiao import KIND FILE`; the command lives with the imports it runs.
from anbiao.core.imports.command import Command

__all__ = ["Command"]
