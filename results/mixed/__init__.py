"""The mixed-model library: crossed random effects for participants and clips, fitted as lme4 does.

numpy and scipy only. ``terms`` (the random factors and design checks) -> ``algebra`` (the sparse
algebra) -> ``fit`` (the fitted-model object) -> ``binomial`` and ``gaussian`` (the two families) ->
``inference`` (fallback structures, likelihood-ratio tests, profile intervals) -> ``model`` (the
model object whose ``fit()`` returns a fit that knows its link).
"""
