"""The conformance checks: a module per protocol, each with its CHECKS (name and function, in the order they run),
and common, what they share."""
