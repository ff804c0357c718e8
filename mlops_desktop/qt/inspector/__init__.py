"""The Inspector: a stage's parameters, column roles and its reference schema."""
