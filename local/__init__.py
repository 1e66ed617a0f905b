"""The Docker-free dev server (`make dev`): template-driven, embedded AWS emulation."""
