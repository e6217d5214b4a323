"""The README's Python example runs as it is written (its assertions are the promises)."""

import re

from conftest import REPO


def test_the_readmes_python_example_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The JavaScript and Python packages"):]
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example, "the README has no Python example in its packages section"
    exec(compile(example.group(1), "README.md", "exec"), {})
