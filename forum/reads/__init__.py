"""What is new for a person: how far they have read each thread and board."""
