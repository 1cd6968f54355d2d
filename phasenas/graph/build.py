"""The PhaseNAS state machine, wired the way the diagram in docs/graph.md reads.

    START -> route -> explorer | refiner -> validator -> (repair: back to the agent) -> scorer -> route
    route: stop -> finish -> END
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from phasenas.agents.explorer import explorer
from phasenas.agents.refiner import refiner
from phasenas.agents.scorer import finish, scorer
from phasenas.agents.validator import validator
from phasenas.graph.context import SearchContext
from phasenas.graph.routing import Route, RoutingPolicy, route, route_after_validation
from phasenas.graph.state import SearchState

_NEXT = {"explorer": "explorer", "refiner": "refiner", "stop": "finish"}


def build_graph(policy: RoutingPolicy) -> StateGraph:
    """The uncompiled graph; compile it with a checkpointer (`search` does) to make it durable."""

    def next_phase(state: SearchState) -> Route:
        return route(state, policy)

    graph = StateGraph(SearchState, context_schema=SearchContext)
    graph.add_node("explorer", explorer)
    graph.add_node("refiner", refiner)
    graph.add_node("validator", validator)
    graph.add_node("scorer", scorer)
    graph.add_node("finish", finish)
    graph.add_conditional_edges(START, next_phase, _NEXT)
    graph.add_edge("explorer", "validator")
    graph.add_edge("refiner", "validator")
    graph.add_conditional_edges("validator", route_after_validation,
                                {"explorer": "explorer", "refiner": "refiner", "scorer": "scorer"})
    graph.add_conditional_edges("scorer", next_phase, _NEXT)
    graph.add_edge("finish", END)
    return graph
