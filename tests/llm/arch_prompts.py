"""A short architecture-proposal conversation, shared by the model tests and the parse-rate benchmark."""

from __future__ import annotations

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from phasenas.space import get_space


def proposal_messages(space_name: str, idea: str = "use larger kernels early") -> list[BaseMessage]:
    space = get_space(space_name)
    return [
        SystemMessage(f"You design convolutional neural networks for image classification.\n{space.describe()}"),
        HumanMessage(f"Propose ONE new architecture. Idea to try: {idea}. Answer with the architecture string only."),
    ]
