"""Music, apart from any file format: theory (keys, modes, spelling, scales, meters), tune types and
their forms, and the domain model every format reads into (Score, Note) with the roles of its voices."""
