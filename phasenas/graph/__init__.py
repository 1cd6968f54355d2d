"""The PhaseNAS LangGraph state machine: state, routing, wiring."""
