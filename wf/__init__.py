"""wf: a local emulator of Cloudflare Workflows for Python."""

__version__ = "0.1.0"
