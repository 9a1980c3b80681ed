"""Plivo as a carrier: the audio-stream wire, the answer XML, signatures, REST call control."""
