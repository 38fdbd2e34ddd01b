"""The framework every indicator rides on: declaration, metric model, assembly, geo, scoring."""
