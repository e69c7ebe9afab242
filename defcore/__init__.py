"""defcore: the required baseline of OpenStack, and real tests that hold clouds to it."""

__version__ = "0.1.0"
