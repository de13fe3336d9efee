"""Model registry and offline provisioning (embedders and LLMs)."""
