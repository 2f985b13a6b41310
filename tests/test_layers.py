"""The package's import graph (read with ast, nothing imported): no cycle, no upward import, no private
name imported from another module, and no absl flag defined outside the command-line modules."""
import ast
import os

from tests.conftest import ROOT

PACKAGE = os.path.join(ROOT, "tfgan_text")
# Lowest first; a module may import its own layer (without a cycle) or any layer below it.
LAYERS = [
    ("tfgan_text.errors", "tfgan_text.config"),
    ("tfgan_text.data", "tfgan_text.models", "tfgan_text.losses", "tfgan_text.sampling", "tfgan_text.rollout",
     "tfgan_text.replicas", "tfgan_text.optimization"),
    ("tfgan_text.metrics",),
    ("tfgan_text.methods",),
    ("tfgan_text.training",),
    ("tfgan_text.serving", "tfgan_text.evaluation"),  # what is done with a trained run
    ("tfgan_text.api", "tfgan_text"),
    ("tfgan_text.cli", "tfgan_text.main", "tfgan_text.evaluate", "tfgan_text.sweep", "tfgan_text.export",
     "tfgan_text.generate", "tfgan_text.glove", "tfgan_text.benchmark", "tfgan_text.serving_check"),
]
CLI_MODULES = set(LAYERS[-1])


def modules() -> dict[str, str]:
    """{module name: path} of every module of the package."""
    found = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                module = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                found[module.removesuffix(".__init__")] = path
    return found


def imports(path: str, known: dict) -> list[tuple[str, str, int]]:
    """(imported module, imported name or '', line) of every project import in a file, lazy ones included."""
    result = []
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            result += [(alias.name, "", node.lineno) for alias in node.names if alias.name.startswith("tfgan_text")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tfgan_text"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                result.append((submodule, "", node.lineno) if submodule in known
                              else (node.module, alias.name, node.lineno))
    return result


def layer(module: str) -> int:
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    assert best is not None, f"{module} is in no layer"
    return best[0]


def graph() -> dict[str, list]:
    known = modules()
    return {module: imports(path, known) for module, path in known.items()}


def test_no_module_imports_a_higher_layer():
    upward = [f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)}), line {line}"
              for module, targets in graph().items() for target, _, line in targets
              if module != "tfgan_text" and layer(target) > layer(module)]
    assert not upward, "\n".join(upward)


def test_no_import_cycle():
    edges = {module: {target for target, _, _ in targets if target != module} for module, targets in graph().items()}
    edges.pop("tfgan_text")  # the package's lazy public API names everything
    for module in edges:
        edges[module].discard("tfgan_text")
    state, cycles = {}, []

    def visit(node, path):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def test_no_private_name_is_imported_from_another_module():
    private = [f"{module} imports {target}.{name}, line {line}" for module, targets in graph().items()
               for target, name, line in targets if name.startswith("_")]
    assert not private, "\n".join(private)


def test_only_command_line_modules_define_flags():
    defining = [module for module, path in modules().items()
                if "flags.DEFINE" in open(path, encoding="utf-8").read() and module not in CLI_MODULES]
    assert not defining, defining


def test_this_test_fails_on_an_upward_import():
    assert layer("tfgan_text.data.tasks") < layer("tfgan_text.methods.seqgan") < layer("tfgan_text.training.trainer")
