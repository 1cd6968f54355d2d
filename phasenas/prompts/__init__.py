"""Versioned prompt templates and their loader."""

from phasenas.prompts.loader import Prompt, PromptError, available_prompts, load_prompt, parse_ref

__all__ = ["Prompt", "PromptError", "available_prompts", "load_prompt", "parse_ref"]
