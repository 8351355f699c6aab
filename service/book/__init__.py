"""The insurer's book: binding quotes, the policies in force, their accumulation."""
