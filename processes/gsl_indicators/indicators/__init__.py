"""The indicators, one module per indicator (or small family): kernel plus declaration.

The registry finds them through the ``gsl_indicators.indicators`` entry-point group.
"""
