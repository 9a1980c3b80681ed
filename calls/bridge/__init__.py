"""The call's logic as a sans-io state machine.

Nothing in this package imports Django, Channels or a socket library: the adapters
parse wire messages into events (`events`), feed them to a `CallSession`, and carry out
the actions it returns (`actions`). Wire formats live in one module per provider.
"""
