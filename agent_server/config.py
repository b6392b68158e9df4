"""All configuration in one typed place.

Precedence (lowest first): dataclass defaults, `configs/default.toml`, a `--config` file,
then the environment: `AGENT_SERVER_<KEY>` for top-level keys,
`AGENT_SERVER_<SECTION>__<KEY>` for a section's keys (`__` again for a table inside a
section: `AGENT_SERVER_MODELS__CONVERSION__CARICATURE`), and `REDIS_URL`. All layers are
merged before the settings are built, so a check that spans keys (the conversion
options') sees the combination every layer makes together.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voices.conversion_options import ConversionOptions
from voices.gate.thresholds import GateThresholds

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"


@dataclass(frozen=True)
class LimitSettings:
    max_upload_bytes: int = 25 * 1024 * 1024
    max_audio_s: float = 60.0
    max_speech_chars: int = 4096
    max_list_limit: int = 100
    max_realtime_sessions: int = 32  # per process
    # Rates; 0 turns one off. On Redis every process shares one budget.
    requests_per_key_per_s: int = 50
    failed_auth_per_address_per_min: int = 100
    client_secrets_per_key_per_min: int = 30
    # A client that asks again before the Retry-After of its last rate refusal gets the
    # next refusal this much later (never past that Retry-After); 0 answers at once.
    repeat_refusal_delay_s: float = 1.0
    # Concurrency; 0 turns one off. Per tenant: shared by every process on one Redis.
    max_realtime_sessions_per_tenant: int = 16
    speech_in_flight_per_tenant: int = 4
    speech_queue_per_tenant: int = 16
    speech_queue_timeout_s: float = 30.0
    # Per process: each upload is buffered whole (up to max_upload_bytes) while it is read.
    max_concurrent_uploads: int = 4


@dataclass(frozen=True)
class WorkerSettings:
    # Enrollment jobs run in a bounded pool so a burst of uploads can't starve the loop.
    enroll_concurrency: int = 1  # per process
    # Jobs one tenant may have running at once, over all processes (0: no cap); claims
    # go to the tenant with the fewest running, so a burst never starves another tenant.
    enroll_per_tenant: int = 2
    # Short, renewed every third of it while the job runs: a crashed process's job is
    # picked up again within about this long.
    job_lease_s: float = 10.0
    poll_interval_s: float = 1.0
    max_attempts: int = 3


@dataclass(frozen=True)
class ModelSettings:
    asr_model: str = ""  # empty: the bundled tiny.en
    asr_compute_type: str = "int8"
    tts_model: str = ""  # empty: the bundled en_US-joe-medium
    profile_cache_size: int = 64
    # How cloned voices are converted ([models.conversion]); the defaults are the
    # measured best, documented field by field in voices/conversion_options.py.
    conversion: ConversionOptions = field(default_factory=ConversionOptions)
    # Model jobs running at once (agent_server.cpu); threads per model call (ONNX
    # Runtime, CTranslate2, torch), 0: cores // cpu_pool_size, so the two multiply to
    # the cores.
    cpu_pool_size: int = 2
    model_threads: int = 0
    # Fair share between tenants in that queue: each job a tenant already has running or
    # waiting ahead pushes its next HTTP speech, decode or enrollment job back this long
    # (agent_server.cpu); 0: earliest deadline first alone.
    cpu_tenant_share_s: float = 0.5
    preload: bool = True


@dataclass(frozen=True)
class RealtimeSettings:
    client_secret_ttl_s: int = 600
    vad_threshold: float = 0.5
    silence_duration_ms: int = 500
    # A session with no audio or events from the client for this long is closed.
    idle_timeout_s: float = 300.0
    # A WebRTC call whose peer has not connected this long after the answer is ended.
    connect_timeout_s: float = 10.0
    # Every session ends at this age (0: no limit); a client secret's expiry ends it sooner.
    max_session_s: float = 3600.0
    # The speech engines by name (agent_server.realtime.engines: STT_ENGINES, TTS_ENGINES).
    stt_engine: str = "whisper"
    tts_engine: str = "voices"
    # End a turn after early_turn_end_silence_ms of silence (instead of the session's
    # silence_duration_ms) when the transcript heard so far reads as a finished sentence
    # (agent_server/realtime/endpointing.py); otherwise the full silence still applies.
    # Off by default: it takes ~160 ms off voice-to-voice but ends more turns early on
    # readers who pause at commas (docs/realtime_bench.md), and REALTIME.md promises
    # that a turn closes after silence_duration_ms.
    early_turn_end: bool = False
    early_turn_end_silence_ms: int = 300


@dataclass(frozen=True)
class HttpSettings:
    # Browser origins allowed to call the API from another site (comma-separated; "*"
    # for any). Empty: none, the console is served from the same origin.
    cors_allow_origins: str = ""
    # /metrics answers only with a valid API key (any scope); off for a private network
    # whose scraper can't send one.
    metrics_require_auth: bool = True
    # A client must have sent a request's line and headers this long after the connection
    # opened (or after the first byte of its next request): a trickling client (slowloris)
    # is cut off. 0 = off, e.g. behind a proxy that already bounds it.
    header_timeout_s: float = 10.0
    # Then the body: counting only the time spent waiting for it, a client has
    # body_grace_s plus one second per body_min_rate_bytes_s received, so an upload at
    # that average rate or faster is never cut and a trickled or stalled body gets 408
    # body_timeout (agent_server.body_deadline). 0 grace = off.
    body_grace_s: float = 10.0
    body_min_rate_bytes_s: int = 16384
    # An idle kept-alive connection is closed after this long (uvicorn's own timer).
    keep_alive_timeout_s: int = 5

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_allow_origins.split(",") if o.strip()]


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: str = "./data"
    redis_url: str = ""
    log_level: str = "info"
    http: HttpSettings = field(default_factory=HttpSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    realtime: RealtimeSettings = field(default_factory=RealtimeSettings)
    gate: GateThresholds = field(default_factory=GateThresholds)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)


def _coerce(value: Any, typ: Any) -> Any:
    if typing.get_origin(typ) is tuple:
        # A TOML array (or a comma-separated environment value) of numbers.
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(float(v) for v in items)
    if typ in (float, "float"):
        return float(value)
    if typ in (int, "int"):
        return int(value)
    if typ in (bool, "bool"):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    return str(value) if typ in (str, "str") else value


def _merge(obj: Any, data: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(type(obj))
    changes: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(obj)}
    for key, value in data.items():
        if key not in names:
            raise ValueError(f"unknown configuration key {where}{key}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ValueError(f"configuration key {where}{key} must be a table")
            changes[key] = _merge(current, value, f"{where}{key}.")
        else:
            changes[key] = _coerce(value, hints[key])
    try:
        return dataclasses.replace(obj, **changes)
    except ValueError as exc:  # a dataclass's own check of its combination
        raise ValueError(f"configuration {where.rstrip('.') or 'settings'}: {exc}") from exc


def _deep_update(into: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_update(into[key], value)
        else:
            into[key] = value
    return into


def _env_overrides(env: typing.Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    sections = {f.name for f in dataclasses.fields(Settings) if f.name not in ("host", "port")}
    for name, value in env.items():
        if not name.startswith("AGENT_SERVER_"):
            continue
        key = name[len("AGENT_SERVER_") :].lower()
        if "__" in key:
            section, *path = key.split("__")
            if section in sections:
                table = out.setdefault(section, {})
                for part in path[:-1]:
                    table = table.setdefault(part, {})
                table[path[-1]] = value
        elif key in {f.name for f in dataclasses.fields(Settings)}:
            out[key] = value
    if env.get("REDIS_URL"):
        out["redis_url"] = env["REDIS_URL"]
    return out


def load_settings(
    path: str | Path | None = None,
    env: typing.Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    if DEFAULT_CONFIG.exists():
        _deep_update(data, tomllib.loads(DEFAULT_CONFIG.read_text()))
    if path:
        _deep_update(data, tomllib.loads(Path(path).read_text()))
    _deep_update(data, _env_overrides(env))
    _deep_update(data, overrides)
    return _merge(Settings(), data, "")
