"""The call's logic as a sans-io state machine.

Nothing in this package imports Django, Channels, a socket library or anything else of the
project (an import contract in pyproject.toml checks): the adapters parse wire messages into
events (`events`), feed them to a `CallSession` (a `Conversation` over a `MediaLeg`; a call
whose audio does not pass through us drives a `Conversation` alone), and carry out the actions
it returns (`actions`). Wire formats live in one module per provider.
"""
