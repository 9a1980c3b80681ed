"""Twilio: Programmable Voice webhooks (TwiML), bidirectional Media Streams, REST call control.

`wire` is sans-io (the call core's side); `carrier` is the `Carrier` the app uses. Nothing is
imported here, so that the wire can be used without Django.
"""
