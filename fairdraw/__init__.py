"""fairdraw composition root: settings, FastAPI app factory, CLI, verifying clients."""
