"""Channels: the ways a consultation reaches a person (messaging platforms), kept apart from the engine.

A channel speaks its platform's wire protocol and nothing else; the consultation logic lives in
``symptomcheck.interview`` and never imports a channel.
"""
