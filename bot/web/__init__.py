"""The project's own aiohttp web service: the chat page now, the widget and staff review later."""
