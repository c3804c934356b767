"""The parent's own notes: notes for the police and an "if my child goes missing" sheet.

They live in the widget's memory. The server sees them only for the moment it builds a PDF or a
printable page, sends an email, or adds them to a referral with the parent's consent; nothing here
writes a file or logs a word of them.
"""
