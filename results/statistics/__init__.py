"""The statistics of a filtered data set: detection, emotion, lens model, breakdowns, designs (no drawing)."""
