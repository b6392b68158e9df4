"""Live voice sessions: transports in, a pipeline of stages, transports out.

Layout (after Pipecat): :mod:`.pipeline` holds the frames and the stage interface,
``stages/`` the VAD, ASR, responder and TTS, ``transports/`` the WebSocket, WebRTC and
Twilio adapters, :mod:`.session` the protocol (REALTIME.md) shared by all of them.
"""
