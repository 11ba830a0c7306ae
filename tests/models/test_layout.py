"""Which code may import which, read from the source with `ast`: serving stays lean, training and evaluation stay out.

Rules (README, "Code layout"):
- companion/ imports from models/ only models.serving, models.detectors and models.faces (its `unmask train` and
  `unmask evaluate` name their modules as text and import them only when run);
- models.serving never imports models.training or models.evaluation, not even inside a function;
- models.detectors never imports them when its modules are imported (a function may, as `build()` imports TensorFlow);
- nothing the companion imports at import time imports TensorFlow or Keras at import time;
- no import circles among models/ modules, counting imports inside functions too.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPANION_MAY_IMPORT = ("models.serving", "models.detectors", "models.faces")
OFFLINE = ("models.training", "models.evaluation")
HEAVY = ("tensorflow", "keras")


@dataclass(frozen=True)
class Import:
    """One import statement's target module, and whether it runs when the importing module is imported."""

    source: str
    target: str
    at_import: bool
    line: int


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether a dotted module name is one of `prefixes` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def modules(root: Path, packages: tuple[str, ...] = ("companion", "models")) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the given top-level packages under `root`."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _function_lines(tree: ast.AST) -> set[int]:
    """Line numbers of import statements nested in a function (they run only when it is called)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            lines.update(n.lineno for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return lines


def imports(root: Path) -> list[Import]:
    """Every import in companion/ and models/ under `root`; `from pkg import mod` names the module `pkg.mod`."""
    known = modules(root)
    found = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        lazy = _function_lines(tree)
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            else:
                continue
            for target in dict.fromkeys(targets):
                found.append(Import(name, target, node.lineno not in lazy, node.lineno))
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                out.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def _heavy_at_import(found: list[Import]) -> list[str]:
    """Chains from a companion module to TensorFlow or Keras through imports that run at import time."""
    edges: dict[str, list[Import]] = {}
    for imp in found:
        if imp.at_import:
            edges.setdefault(imp.source, []).append(imp)
    problems, seen = [], set()
    todo = [(name, [name]) for name in sorted(edges) if _within(name, ("companion",))]
    while todo:
        name, chain = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for imp in edges.get(name, ()):
            if _within(imp.target, HEAVY):
                problems.append(" -> ".join(chain + [imp.target]))
            elif imp.target not in seen:
                todo.append((imp.target, chain + [imp.target]))
    return problems


def violations(root: Path) -> list[str]:
    """Every broken layout rule in the tree under `root`, one line each (empty when the layout holds)."""
    found = imports(root)
    problems = []
    for imp in found:
        where = f"{imp.source}:{imp.line} imports {imp.target}"
        if _within(imp.source, ("companion",)) and _within(imp.target, ("models",)) \
                and not _within(imp.target, COMPANION_MAY_IMPORT):
            problems.append(f"{where}: the companion imports only {', '.join(COMPANION_MAY_IMPORT)}")
        if _within(imp.source, ("models.serving",)) and _within(imp.target, OFFLINE):
            problems.append(f"{where}: serving never imports training or evaluation")
        if _within(imp.source, ("models.detectors",)) and _within(imp.target, OFFLINE) and imp.at_import:
            problems.append(f"{where}: detectors import training or evaluation only inside a function")
    problems += [f"imports TensorFlow when the companion starts: {chain}" for chain in _heavy_at_import(found)]
    edges: dict[str, set[str]] = {}
    for imp in found:
        if _within(imp.source, ("models",)) and _within(imp.target, ("models",)):
            edges.setdefault(imp.source, set()).add(imp.target)
    problems += [f"import circle: {' <-> '.join(cycle)}" for cycle in _cycles(edges)]
    return problems


def _tree(root: Path, files: dict[str, str]) -> Path:
    """A small source tree under `root`: {relative path: source}, with empty package __init__ files."""
    for rel, text in {"companion/__init__.py": "", "models/__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in path.relative_to(root).parents:
            if str(folder) != ".":
                (root / folder / "__init__.py").touch()
        path.write_text(text)
    return root


CLEAN = {
    "companion/pipeline.py": "from models.serving import analysis\nfrom models.detectors.base import Detector\n",
    "models/serving/analysis.py": "import numpy\nfrom models.faces import align\n",
    "models/faces/align.py": "",
    "models/detectors/base.py": "def build():\n    import tensorflow\n    from models.training import export\n",
    "models/training/export.py": "from models.serving import analysis\nfrom models.evaluation import metrics\n",
    "models/evaluation/metrics.py": "",
}


def test_the_project_keeps_its_layout():
    assert violations(ROOT) == []


def test_unmask_train_and_evaluate_name_modules_with_a_main():
    from companion.cli import MODEL_COMMANDS

    known = modules(ROOT)
    for module, _ in MODEL_COMMANDS.values():  # imported by name only when the command runs
        assert _within(module, OFFLINE)
        tree = ast.parse(known[module].read_text())
        assert any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body), module


def test_a_clean_small_tree_passes(tmp_path):
    assert violations(_tree(tmp_path, CLEAN)) == []


def test_the_companion_importing_training_fails(tmp_path):
    tree = _tree(tmp_path, {**CLEAN, "companion/cli.py": "def train():\n    import models.training.export\n"})
    assert violations(tree) == [
        "companion.cli:2 imports models.training.export: the companion imports only "
        "models.serving, models.detectors, models.faces"]


def test_serving_importing_evaluation_fails_even_inside_a_function(tmp_path):
    late = "def choose():\n    from models.evaluation import metrics\n"
    tree = _tree(tmp_path, {**CLEAN, "models/serving/fusion.py": late})
    assert violations(tree) == ["models.serving.fusion:2 imports models.evaluation.metrics: "
                                "serving never imports training or evaluation"]


def test_a_relative_import_is_resolved(tmp_path):
    tree = _tree(tmp_path, {**CLEAN, "models/serving/fusion.py": "from ..training import export\n"})
    assert violations(tree) == ["models.serving.fusion:1 imports models.training.export: "
                                "serving never imports training or evaluation"]


def test_detectors_importing_training_when_imported_fails(tmp_path):
    tree = _tree(tmp_path, {**CLEAN, "models/detectors/base.py": "from models.training.export import write\n"})
    assert violations(tree) == ["models.detectors.base:1 imports models.training.export: "
                                "detectors import training or evaluation only inside a function"]


def test_tensorflow_reached_from_the_companion_at_import_time_fails(tmp_path):
    tree = _tree(tmp_path, {**CLEAN, "models/faces/align.py": "import tensorflow as tf\n"})
    assert violations(tree) == ["imports TensorFlow when the companion starts: "
                                "companion.pipeline -> models.serving.analysis -> models.faces.align -> tensorflow"]


def test_an_import_circle_fails_even_through_a_function(tmp_path):
    late = "def f():\n    from models.training import export\n"
    tree = _tree(tmp_path, {**CLEAN, "models/evaluation/metrics.py": late})
    assert violations(tree) == ["import circle: models.evaluation.metrics <-> models.training.export"]
