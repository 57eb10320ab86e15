"""Order fraud scoring: the library behind the service, the CLI and the notebooks."""

__version__ = "0.1.0"
