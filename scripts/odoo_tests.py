#!/usr/bin/env python3
"""Odoo's own test runner, with a module's at_install tests run after every module is loaded.

Odoo runs a module's ``at_install`` tests right after that module is installed or updated
(``odoo/modules/loading.py``, ``load_module_graph``): the registry then holds only the modules
loaded before it, so a module that depends on it (this addon on ``sale``) is not there yet.
Started on a database where everything is already installed (no ``-i``/``-u``), Odoo runs only
the ``post_install`` phase (``odoo/service/server.py``, ``preload_registries``) with all
installed modules loaded. This launcher makes that phase take the ``at_install`` tests too, so
every selected test runs with the whole database's modules (the addon included) in the registry.
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
    """Post-install phase: at_install and post_install tests alike."""
    if position == "post_install":
        position = "at_install,post_install"
    return _make_suite(module_names, position)


loader.make_suite = make_suite
odoo.cli.main()
