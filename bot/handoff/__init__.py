"""The self-referral hand-off to the National Parent Support Team."""
