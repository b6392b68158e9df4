"""``python -m pyai``: the CLI without an installed console script."""

from pyai.cli import app

if __name__ == "__main__":
    app(prog_name="pyai")
