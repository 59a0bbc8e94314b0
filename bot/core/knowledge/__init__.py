"""The knowledge base: its model, the YAML loader and validator, and the JSON Schema."""
