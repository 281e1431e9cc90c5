"""The faces: the command line and the chat page, both on the same Pipeline."""
