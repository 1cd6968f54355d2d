"""Zero-shot proxies and the scoring queue that runs them off the event loop."""
