"""The agents of the graph: explorer, refiner, validator, scorer."""
