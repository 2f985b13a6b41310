"""docs/python_api.md runs as written: its code blocks, in order, in one namespace."""
import os
import re

from tests.conftest import ROOT


def test_every_code_block_of_the_python_api_walkthrough_runs(capsys):
    with open(os.path.join(ROOT, "docs", "python_api.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) >= 5
    namespace = {}
    for block in blocks:
        exec(compile(block, "docs/python_api.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "rollout_num=0: must be at least 1" in printed
    assert len(namespace["history"]) >= 2 and "nll_oracle" in namespace["history"][-1]
    assert namespace["run"].method == "seqgan" and os.path.isdir(namespace["path"])
    assert os.path.exists(os.path.join(namespace["path"], "saved_model.pb"))
