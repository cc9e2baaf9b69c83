"""Core helpers below everything: atomic writes, signatures, spec strings, text files, stage timing, the JVM, tokens."""
