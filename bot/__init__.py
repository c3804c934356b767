"""Parent Support Assistant: content, safety, hand-off store, web service and CLI."""
