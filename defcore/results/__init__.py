"""Results: test outcomes from subunit or RefStack JSON, and the verdict computed from them."""

from defcore.results.model import Outcome, RunResults, TestResult
from defcore.results.verdict import CapabilityVerdict, Verdict, compute_verdict

__all__ = ["CapabilityVerdict", "Outcome", "RunResults", "TestResult", "Verdict", "compute_verdict"]
