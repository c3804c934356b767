"""Parent Support Assistant: the project's own code. What each package owns, and the layers: docs/architecture.md."""
