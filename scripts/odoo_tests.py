#!/usr/bin/env python3
"""Odoo's own test runner, with a module's at_install tests run after every module is loaded.

Odoo runs a module's ``at_install`` tests while the modules load (``odoo/modules/loading.py``,
``load_module_graph``), right after that module: the registry then holds only the modules loaded
before it, so a module that depends on it (this addon on ``sale``) is not there yet -- and on a
database where everything is installed, the later modules' NOT NULL columns make those tests fail.
The ``post_install`` phase (``odoo/service/server.py``, ``preload_registries``) runs once every
module is loaded. Started on a database where everything is already installed (no ``-i``/``-u``),
this launcher runs no test while loading and the ``at_install`` tests in the post-install phase
with the ``post_install`` ones, so every selected test runs with the addon in the registry.
The rest of the command line is Odoo's (``--test-tags``, ``-d``, ...).
"""
import os
import sys

os.environ["TZ"] = "UTC"
sys.path.insert(0, os.environ.get("ODOO_PATH", "/opt/odoo"))

import odoo  # noqa: E402

odoo.tools.config["test_enable"] = True  # set again from the command line; quiets the import
from odoo.tests import loader  # noqa: E402

_make_suite = loader.make_suite


def make_suite(module_names, position="at_install"):
    """No test while the modules load (the registry then lacks the modules loaded after: their NOT NULL
    columns fail every insert); the post-install phase runs at_install and post_install tests alike."""
    if position == "at_install":
        return loader.OdooSuite([])
    return _make_suite(module_names, "at_install,post_install")


loader.make_suite = make_suite
odoo.cli.main()
