"""Drive a mockfiles server from Python.

The names here need only the standard library; `mockfiles_kit.admin` needs httpx2 and
`mockfiles_kit.sdk` the openai package, so they are imported from their modules.
"""

from .server import API_KEY, Server, ServerError, binary_path, free_port, health_status, use_checkout_binary
from .tally import Tally

# The repository's VERSION, as the binary and the image carry it (scripts/lint checks that they agree).
__version__ = "0.1.0"

__all__ = ["__version__", "API_KEY", "Server", "ServerError", "Tally", "binary_path", "free_port", "health_status", "use_checkout_binary"]
