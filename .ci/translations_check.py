"""The translation gate: every es and fr entry translated and not fuzzy, the placeholders of
each translation those of its source, and the catalogues current with the source (a fresh
`makemessages` into a temporary directory finds the same msgids as locale/).

Run by .ci/translations. Needs GNU gettext's xgettext (makemessages calls it).
"""

# ruff: noqa: T201  (a command-line script: printing is its output)
from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import django
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("es", "fr")
# What makemessages reads: the project, not the venv, tests or tooling (see the Makefile too).
IGNORE = [".venv", ".tools", "tests", "*/tests/*", "bench", "deploy", "docs", "node_modules"]
# The source directories the catalogues cover.
SOURCES = ("cliqserve", "config")
PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[-#0 +]*\d*(?:\.\d+)?[sdirfXx]|%%|\{[A-Za-z_]*\}")


def msgids(path: Path) -> dict[str, object]:
    with path.open("rb") as handle:
        return {str(m.id): m for m in read_po(handle) if m.id}


def problems_in(language: str) -> list[str]:
    path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    if not path.exists():
        return [f"{path.relative_to(ROOT)} is missing"]
    problems = []
    with path.open("rb") as handle:
        catalog = read_po(handle)
    if catalog.fuzzy:
        problems.append(f"{language}: the header is fuzzy")
    for message in catalog:
        if not message.id:
            continue
        source, strings = (
            (message.id, message.string)
            if isinstance(message.id, str)
            else (
                message.id[0],
                message.string,
            )
        )
        translations = [strings] if isinstance(strings, str) else list(strings)
        if message.fuzzy:
            problems.append(f"{language}: fuzzy: {source!r}")
        elif not all(translations):
            problems.append(f"{language}: untranslated: {source!r}")
        elif any(sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(t)) for t in translations):
            problems.append(f"{language}: placeholders differ from the source: {source!r}")
    return problems


def stale() -> list[str]:
    """msgids the source has and locale/ lacks, or the other way round."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    from django.core.management import call_command
    from django.test import override_settings

    # makemessages writes next to the nearest `locale` directory above a source file, so it runs
    # in a temporary directory that links to the sources (and holds no catalogue of its own).
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        for source in SOURCES:
            (Path(tmp) / source).symlink_to(ROOT / source)
        os.chdir(tmp)
        try:
            with override_settings(LOCALE_PATHS=[str(Path(tmp) / "locale")]):
                call_command(
                    "makemessages",
                    locale=["es"],
                    ignore_patterns=list(IGNORE),
                    symlinks=True,
                    no_location=True,
                    verbosity=0,
                )
        finally:
            os.chdir(cwd)
        fresh = set(msgids(Path(tmp) / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    problems = []
    for language in LANGUAGES:
        committed = set(msgids(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
        problems += [
            f"{language}: not in the catalogue (run makemessages): {m!r}" for m in sorted(fresh - committed)
        ]
        problems += [
            f"{language}: no longer in the source (run makemessages): {m!r}"
            for m in sorted(committed - fresh)
        ]
    return problems


def main() -> int:
    problems = [p for language in LANGUAGES for p in problems_in(language)]
    problems += stale()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            f"translations: {len(problems)} problem(s). Update the catalogues with\n"
            "  DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python manage.py makemessages "
            "-l es -l fr --no-location " + " ".join(f"--ignore={i}" for i in IGNORE) + "\n"
            "translate every entry, remove the fuzzy flags, and run `make messages`.",
            file=sys.stderr,
        )
        return 1
    counts = {
        language: len(msgids(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
        for language in LANGUAGES
    }
    print(f"translations: complete and current ({', '.join(f'{k} {v}' for k, v in counts.items())} entries)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
