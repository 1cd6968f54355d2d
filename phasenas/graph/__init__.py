"""The PhaseNAS LangGraph state machine: state, routing, pool, wiring (`build.build_graph`)."""
