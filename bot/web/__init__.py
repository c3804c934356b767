"""The project's own aiohttp web service: the chat relay to Rasa (`/api/chat`), the website widget with its demo
page, staff review (`/staff/`), and the background delivery of staff notifications and spooled referrals."""
