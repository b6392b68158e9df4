"""The voice platform server: HTTP API, enrollment worker, realtime sessions."""

__version__ = "0.1.0"
