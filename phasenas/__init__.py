"""phasenas: LLM-driven neural architecture search in two phases (PhaseNAS)."""

__version__ = "0.1.0"
