"""Test-only helpers shared by the unit and C-driving tests."""
