"""The architecture language: parse, validate, build, and the search spaces."""
