"""How good is a model? Held-out bits (evaluate.py) beside a character n-gram (baseline.py); with
generated tunes, their well-formedness (judging.py), their musical statistics and form against
held-out tunes (statistics.py), whether they copy training tunes (formats/abc/copies.py); and the page that
shows it all (report.py). Training does not import this package."""
