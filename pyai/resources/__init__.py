"""API namespaces (``pyai.voice``, ``pyai.audio``, ``pyai.agents``), one module each."""

from pyai.resources.agents import Agents, AsyncAgents
from pyai.resources.audio import AsyncAudio, Audio
from pyai.resources.voice import AsyncClones, AsyncVoiceResource, Clones, VoiceResource

__all__ = [
    "Agents",
    "AsyncAgents",
    "AsyncAudio",
    "AsyncClones",
    "AsyncVoiceResource",
    "Audio",
    "Clones",
    "VoiceResource",
]
