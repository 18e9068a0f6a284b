"""The CI-engine tests: helpers here (atlantis_rules.py) and the graph room's git repositories (tests/graph)
are importable by name."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "graph"))
