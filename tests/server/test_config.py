from __future__ import annotations

import pytest

from agent_server.api.openapi import PATHS
from agent_server.app import create_app
from agent_server.config import load_settings


def test_env_and_file_override_defaults(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('port = 9001\n[gate]\nmin_bandwidth_hz = 9000\n')
    s = load_settings(cfg, env={"AGENT_SERVER_DATA_DIR": "/srv/x", "AGENT_SERVER_LIMITS__MAX_AUDIO_S": "30",
                                "REDIS_URL": "redis://h:1/2"})
    assert (s.port, s.data_dir, s.redis_url) == (9001, "/srv/x", "redis://h:1/2")
    assert s.gate.min_bandwidth_hz == 9000.0 and s.limits.max_audio_s == 30.0
    assert load_settings(env={}).gate.min_bandwidth_hz == 10000.0


def test_unknown_keys_are_rejected(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[gate]\nmin_bandwith_hz = 1\n")
    with pytest.raises(ValueError, match="min_bandwith_hz"):
        load_settings(cfg, env={})


def test_openapi_documents_every_mounted_route(tmp_path) -> None:
    app = create_app(load_settings(env={}, data_dir=str(tmp_path)), run_worker=False)
    mounted = {r.path for r in app.routes if getattr(r, "path", "")}
    assert mounted - set(PATHS) == set(), "routes missing from openapi.json"


def test_default_toml_spells_out_every_gate_threshold() -> None:
    """configs/default.toml is where operators look: it must list every gate threshold,
    with the same value as the code's default."""
    import dataclasses
    import tomllib

    from agent_server.config import DEFAULT_CONFIG
    from voices.gate.thresholds import GateThresholds

    in_file = tomllib.loads(DEFAULT_CONFIG.read_text())["gate"]
    for f in dataclasses.fields(GateThresholds):
        assert f.name in in_file, f"[gate] {f.name} missing from configs/default.toml"
        value = tuple(in_file[f.name]) if isinstance(f.default, tuple) else in_file[f.name]
        assert value == f.default, f.name


def test_speech_engines_are_checked_at_start(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[realtime]\ntts_engine = "pipr"\n')
    with pytest.raises(ValueError, match="tts_engine = 'pipr' is not an engine"):
        create_app(load_settings(cfg, env={}, data_dir=str(tmp_path)), run_worker=False)
    cfg.write_text('[realtime]\nstt_engine = "whisper"\ntts_engine = "voices"\n')
    create_app(load_settings(cfg, env={}, data_dir=str(tmp_path)), run_worker=False)


def test_conversion_options_come_from_the_models_conversion_table(tmp_path) -> None:
    from voices.conversion_options import ConversionOptions

    assert load_settings(env={}).models.conversion == ConversionOptions()
    cfg = tmp_path / "c.toml"
    cfg.write_text("[models.conversion]\ncaricature = 0.3\ncaricature_from_average = false\n")
    s = load_settings(cfg, env={"AGENT_SERVER_MODELS__CONVERSION__CARICATURE_HIGH": "0.4",
                                "AGENT_SERVER_MODELS__CONVERSION__TEMPO": "false"})
    c = s.models.conversion
    assert (c.caricature, c.caricature_high, c.caricature_from_average, c.tempo) == (0.3, 0.4, False, False)
    assert c.ridge == ConversionOptions().ridge  # the rest keep their defaults
    assert s.models.profile_cache_size == 64  # the section's other keys too


def test_a_conversion_that_cannot_apply_stops_the_server_at_start(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[models.conversion]\nlinear_map = false\n")
    with pytest.raises(ValueError, match=r"models\.conversion: phone_correction corrects the linear map"):
        load_settings(cfg, env={})
    with pytest.raises(ValueError, match=r"unknown configuration key models\.conversion\.caricatur"):
        load_settings(env={"AGENT_SERVER_MODELS__CONVERSION__CARICATURE": "0.3",
                           "AGENT_SERVER_MODELS__CONVERSION__CARICATUR": "0.3"})
    # Layers combine before the check: the file and the environment together apply.
    s = load_settings(cfg, env={"AGENT_SERVER_MODELS__CONVERSION__PHONE_CORRECTION": "0"}, data_dir=str(tmp_path))
    assert not s.models.conversion.linear_map and not s.models.conversion.phone_correction
    create_app(s, run_worker=False)
