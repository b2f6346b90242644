"""The forum's own pages (About, Code of conduct, Privacy, Terms, Contact) and the
settings admins choose for the whole site."""
