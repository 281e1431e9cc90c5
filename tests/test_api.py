"""The public API: every name resolves, and `import rag` stays light."""

import subprocess
import sys

import rag

from .conftest import ROOT


def test_every_public_name_resolves():
    assert len(rag.__all__) > 30
    for name in rag.__all__:
        assert getattr(rag, name) is not None, name
    assert rag.build_dense_index is rag.store.dense.build  # a renamed one


def test_importing_rag_loads_no_heavy_library():
    heavy = ("gradio", "torch", "faiss", "onnxruntime", "transformers")
    code = (
        "import sys, rag; rag.Settings(); rag.read_query('an khe tiep nhan bao nhieu don'); "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
