"""The tidy tables, one consistent snapshot of a study, the filters, the participant flow, the versions and
the codebook."""
