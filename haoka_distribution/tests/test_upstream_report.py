"""Upstream report files (placeholder)."""
