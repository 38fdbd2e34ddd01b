"""GSL indicator service: the OGC API - Processes host around the gsl_indicators kernels."""
