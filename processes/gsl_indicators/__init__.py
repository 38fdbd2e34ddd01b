"""GSL indicators: pure, vectorised healthy-living indicator kernels and their declarations."""

__version__ = "0.1.0"
