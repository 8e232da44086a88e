"""The 2023 sample data set: its generator, committed output and county boundaries."""
