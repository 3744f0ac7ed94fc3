"""Hearing and seeing pieces: audio rendering and playback, terminal and PNG piano rolls, engraved
sheet music, and what this machine can use for each (doctor)."""
