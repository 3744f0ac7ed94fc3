"""ABC notation: text and tunebooks, the lexer (text -> tokens), the tune state and bar checker, the
player (tokens -> Score), form analysis, the writer (Score -> ABC) and abc2midi as referee."""
