"""Prometheus metrics, one registry per app (tests may run several apps at once)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "agent_server_http_requests_total", "HTTP requests", ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "agent_server_http_request_seconds", "HTTP request latency", ["route"],
            registry=self.registry,
        )
        self.enrollments = Counter(
            "agent_server_enrollments_total", "Finished enrollments", ["status", "code"],
            registry=self.registry,
        )
        self.enroll_seconds = Histogram(
            "agent_server_enrollment_seconds", "Enrollment processing time",
            buckets=(0.5, 1, 2, 4, 8, 16, 32, 64), registry=self.registry,
        )
        self.jobs_pending = Gauge(
            "agent_server_enrollment_jobs_pending", "Enrollment jobs queued", registry=self.registry
        )
        self.speech_seconds = Histogram(
            "agent_server_speech_first_chunk_seconds", "Time to first synthesized chunk",
            registry=self.registry,
        )
        self.realtime_sessions = Gauge(
            "agent_server_realtime_sessions", "Open realtime sessions", registry=self.registry
        )
