"""Before and beside a study: power by simulation, simulated studies, the preregistration."""
