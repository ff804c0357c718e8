"""Pure domain: pipeline graph, stage specs, lifecycles, maturity, entities. No Qt, no SQL."""
