"""Tests of the signed webhooks (issue 15)."""
