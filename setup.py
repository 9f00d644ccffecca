"""Ships the repository's ``templates/`` and ``examples/`` inside the package (``mailbot/_data/``).

The texts users read stay at the top of the repository, where the office edits them; a wheel or a
non-editable ``pip install .`` copies them into ``mailbot/_data/`` so that receipts render and
``mailbot demo`` runs from any installed copy. Everything else is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = {
    "templates": ("*.j2", "web/*.j2", "web/*.css"),
    "examples": ("units.csv", "maildir/INTENDED.tsv", "maildir/cur/*", "maildir/new/*", "maildir/tmp/*"),
}


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        for folder, patterns in DATA.items():
            for pattern in patterns:
                for src in sorted((root / folder).glob(pattern)):
                    if src.is_file():
                        dst = Path(self.build_lib) / "mailbot" / "_data" / src.relative_to(root)
                        self.mkpath(str(dst.parent))
                        self.copy_file(str(src), str(dst))
            for keep in ("maildir/cur", "maildir/new", "maildir/tmp") if folder == "examples" else ():
                self.mkpath(str(Path(self.build_lib) / "mailbot" / "_data" / folder / keep))


setup(cmdclass={"build_py": BuildPyWithData})
