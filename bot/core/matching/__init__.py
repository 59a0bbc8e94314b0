"""Finding the knowledge-base entry a resident's question is about."""
