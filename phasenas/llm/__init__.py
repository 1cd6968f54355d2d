"""LLM providers: LangChain chat models with async paths, limits, retries and accounting."""
