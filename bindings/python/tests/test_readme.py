"""The READMEs' Python examples (the repository's and the package's) run as they are written:
their assertions are the promises."""

import re

import pytest

from conftest import REPO


@pytest.mark.parametrize(
    "readme, after",
    [
        (REPO / "README.md", "## The JavaScript and Python packages"),
        (REPO / "bindings" / "python" / "README.md", "# chittyid-format"),
    ],
)
def test_the_readmes_python_example_runs(readme, after):
    text = readme.read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", text[text.index(after):], re.S)
    assert example, f"{readme} has no Python example after {after!r}"
    exec(compile(example.group(1), str(readme), "exec"), {})
