"""Simulated Azure OpenAI / OpenAI deployments: PTU and PAYG capacity, latency, faults.

The gateway's embedded default backend and its test bed; it speaks only HTTP and the wire schema.
"""

from sluicegate.simulator.app import build_simulator_app
from sluicegate.simulator.server import SimulatorServer, run_simulator

__all__ = ["SimulatorServer", "build_simulator_app", "run_simulator"]
