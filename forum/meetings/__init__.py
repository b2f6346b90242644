"""Meetings of a board's team: scheduled by its coordinators, with a discussion thread,
iCalendar files and feeds, invitations by email (iTIP) and attendance answers."""
