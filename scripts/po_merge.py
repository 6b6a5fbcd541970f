"""Merge a fresh .pot into a language .po: keep translations, add new entries, drop stale ones."""

import sys

import polib

HEADER = {
    "Project-Id-Version": "Odoo Server 18.0",
    "Language": "zh_CN",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "",
    "Plural-Forms": "nplurals=1; plural=0;",
}


def merge(pot_path, po_path):
    pot = polib.pofile(pot_path)
    try:
        old = {entry.msgid: entry.msgstr for entry in polib.pofile(po_path)}
    except OSError:
        old = {}
    po = polib.POFile(wrapwidth=78)
    po.metadata = dict(HEADER)
    po.header = (
        "Translation of Odoo Server.\n"
        "This file contains the translation of the following modules:\n"
        "\t* haoka_distribution"
    )
    missing = 0
    for entry in pot:
        entry.msgstr = old.get(entry.msgid, "")
        missing += not entry.msgstr
        po.append(entry)
    po.save(po_path)
    print(f"{po_path}: {len(po)} entries, {missing} untranslated")


if __name__ == "__main__":
    merge(sys.argv[1], sys.argv[2])
