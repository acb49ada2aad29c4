"""Every setting and environment variable the code reads is documented in the README."""

import re

from tests.conftest import ROOT
from workbench import config


def test_every_tool_bf_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in config._FIELDS if f"| `{name}` |" not in readme]
    assert missing == []


def test_every_environment_variable_read_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    read = set()
    for path in [*(ROOT / "workbench").rglob("*.py"), *(ROOT / "domain").rglob("*.py")]:
        text = path.read_text()
        read |= set(re.findall(r'environ(?:\.get\(|\[)"([A-Z_]+)"', text))
        read |= set(re.findall(r'^[A-Z_]+_ENV = "([A-Z_]+)"', text, re.MULTILINE))
    assert {"EDITOR", "BF_MASTER_KEY", "BF_CONFIG_DIR"} <= read  # the scan finds what it should
    missing = sorted(name for name in read if f"`{name}`" not in readme)
    assert missing == []
