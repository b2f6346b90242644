"""Stocktaking: the activities stakeholders report, by action line, reviewed by the
coordinators of those action lines and published as open data."""
