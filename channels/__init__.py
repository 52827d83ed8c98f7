"""Channel adapters: turn the outside world into InboundMessage values and
deliver OutboundMessage values.  Imports its transport libraries and nothing
of the rest of the project."""
