"""Every test runs under both runners: pytest-odoo and Odoo's own (`odoo-bin --test-enable`, as OCA CI and
hosted Odoo run it). Odoo's runner only sees the modules imported by ``tests/__init__.py`` and only the
methods of test classes; pytest sees every ``test_*.py`` file and module-level functions too."""

import ast
import importlib
import inspect
import pathlib

from odoo.tests.common import BaseCase, tagged

TESTS = pathlib.Path(__file__).parent
PACKAGE = __name__.rpartition(".")[0]


def registered_modules():
    """The module names ``tests/__init__.py`` imports (read from its source, not from the package's
    attributes: pytest imports every file itself, which sets those attributes too)."""
    tree = ast.parse((TESTS / "__init__.py").read_text())
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module
        for alias in node.names
    }


def method_names_of_tests(cls):
    return [name for name in dir(cls) if name.startswith("test") and callable(getattr(cls, name))]


@tagged("post_install", "-at_install")
class TestSuiteLayout(BaseCase):
    def test_every_test_module_is_registered(self):
        files = {path.stem for path in TESTS.glob("test_*.py")}
        self.assertGreater(len(files), 15)
        self.assertEqual(sorted(files - registered_modules()), [], "test modules missing from tests/__init__.py")
        self.assertEqual(sorted(registered_modules() - files), [], "tests/__init__.py imports missing files")

    def test_tests_are_methods_of_odoo_test_classes(self):
        """No module-level test function, no plain (pytest-only) test class, no pytest fixture or mark:
        Odoo's runner would silently skip them."""
        strays = []
        for name in sorted(registered_modules()):
            module = importlib.import_module(f"{PACKAGE}.{name}")
            if "pytest" in vars(module):
                strays.append(f"{name} imports pytest")
            for attr, value in vars(module).items():
                if inspect.isfunction(value) and attr.startswith("test"):
                    strays.append(f"{name}.{attr}()")
                elif inspect.isclass(value) and attr.startswith("Test") and not issubclass(value, BaseCase):
                    strays.append(f"{name}.{attr} is not an Odoo test class")
        self.assertEqual(strays, [])

    def test_every_test_class_runs_after_the_install(self):
        """``post_install`` only: a test then runs once under Odoo's runner, on the fully installed database
        (the chart of accounts is installed after this module), whether the addon is installed in the same
        run (``-i``) or not; ``at_install`` tests would not run at all on an installed database."""
        wrong = sorted(
            f"{name}.{attr}: {sorted(value.test_tags)}"
            for name in registered_modules()
            for attr, value in vars(importlib.import_module(f"{PACKAGE}.{name}")).items()
            if inspect.isclass(value) and issubclass(value, BaseCase) and method_names_of_tests(value)
            and not ("post_install" in value.test_tags and "at_install" not in value.test_tags)
        )
        self.assertEqual(wrong, [])

    def test_no_long_function_without_a_reason(self):
        """No function or method of the addon (tests included) is over 40 lines — counted from its ``def``
        line to its last line, docstring included — unless its docstring has a line starting with
        ``Long because`` that gives the reason (a hot loop kept inline, one SQL statement, one race told as
        one story). Only the names in ``LONG_FUNCTIONS_TO_SPLIT`` are waiting for that."""
        addon = TESTS.parent
        long_ones = []
        for path in sorted(addon.rglob("*.py")):
            relative = path.relative_to(addon).as_posix()
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                length = node.end_lineno - node.lineno + 1
                doc_lines = (ast.get_docstring(node) or "").splitlines()
                if length > MAX_FUNCTION_LINES and not any(line.strip().startswith(LONG_MARKER) for line in doc_lines):
                    long_ones.append(f"{relative}:{node.name}")
        self.assertEqual(sorted(set(long_ones) - LONG_FUNCTIONS_TO_SPLIT), [],
                         f"functions over {MAX_FUNCTION_LINES} lines: split them, or say why in a docstring line "
                         f"starting with '{LONG_MARKER}'")
        self.assertEqual(sorted(LONG_FUNCTIONS_TO_SPLIT - set(long_ones)), [],
                         "no longer long: take them off LONG_FUNCTIONS_TO_SPLIT")


MAX_FUNCTION_LINES = 40
LONG_MARKER = "Long because"
# Long functions waiting to be split or given their reason, as "path:name" (empty since stock_bulk's
# _lot_row_maker and _transfer were split; do not add to it).
LONG_FUNCTIONS_TO_SPLIT = set()
