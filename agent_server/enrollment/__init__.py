"""Enrollment: durable jobs that turn an uploaded clip into a ready (or failed) voice."""
