"""Scoring a CSV of passengers: the /batch page, its upload checks and the scored file."""
