"""Demo data and walkthrough for Civic Data Hub.

``synth`` writes seeded synthetic registries of Ho Chi Minh City (no real person);
``vocab`` holds its word lists.
"""
