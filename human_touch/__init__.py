"""What sits beside ``app.py``: start-up orchestration and the ``human-touch`` command line.

Both need every package (the demo build lives in ``audio``; each package brings its own
subcommands), so they live above the packages and ``core`` stays the ground that imports none.
"""
