"""The image name and tag, from one place: ``benchmark.__version__``.

mlcube.yaml (``docker.image``) and container_config.yaml (``image``) must name the same
image; both are plain YAML files read by tools that cannot import Python, so the tag is
written into them from here, and tests/test_medperf.py fails when they disagree.

  python scripts/image.py            print the image (mlcommons/dataperf-vision:<version>)
  python scripts/image.py --labels   print the docker build --build-arg options of the OCI labels
  python scripts/image.py --write    write it into mlcube.yaml and container_config.yaml
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark import __version__  # noqa: E402

REPOSITORY = "mlcommons/dataperf-vision"
# file -> the line that holds the image (the rest of the file, comments included, is kept as it is)
IMAGE_LINES = {"mlcube.yaml": re.compile(r"^(  image: )(\S+)(.*)$", re.M),
               "container_config.yaml": re.compile(r"^(image: )(\S+)(.*)$", re.M)}


def image() -> str:
    return f"{REPOSITORY}:{__version__}"


def declared() -> dict[str, str]:
    """The image each file names now."""
    found = {}
    for name, pattern in IMAGE_LINES.items():
        matches = pattern.findall((ROOT / name).read_text())
        if len(matches) != 1:
            raise SystemExit(f"{name}: expected one image line, found {len(matches)}")
        found[name] = matches[0][1]
    return found


def write() -> None:
    for name, pattern in IMAGE_LINES.items():
        path = ROOT / name
        path.write_text(pattern.sub(lambda m: f"{m.group(1)}{image()}{m.group(3)}", path.read_text(), count=1))


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


LABEL_PREFIX = "org.opencontainers.image."


def label_values() -> dict[str, str]:
    """The OCI labels' values: version, git revision, source.

    The revision is the checked-out commit, with ``-dirty`` when the work tree differs from it
    (such an image is not reproducible from the revision alone); the source is the ``origin``
    remote's URL, left out when the checkout has none.
    """
    revision = _git("rev-parse", "HEAD")
    if revision and _git("status", "--porcelain", "--untracked-files=no"):
        revision += "-dirty"
    source = _git("remote", "get-url", "origin")
    return {"version": __version__, "revision": revision, **({"source": source} if source else {})}


def build_args() -> list[str]:
    """``docker build`` options for the labels: the Dockerfile's build arguments, and the same values as
    ``--label``. The Dockerfile's LABEL alone is not enough: buildah 1.28 (podman 4.3) reuses a cached
    LABEL layer whatever the build arguments' values, so an image would keep an older build's revision;
    ``--label`` sets them on the final image with every engine."""
    values = label_values()
    return ([f"--build-arg={key.upper()}={value}" for key, value in values.items()]
            + [f"--label={LABEL_PREFIX}{key}={value}" for key, value in values.items()])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true")
    group.add_argument("--labels", action="store_true")
    args = parser.parse_args()
    if args.write:
        write()
        print(f"{image()} in {', '.join(IMAGE_LINES)}")
    elif args.labels:
        print(" ".join(build_args()))
    else:
        print(image())
    return 0


if __name__ == "__main__":
    sys.exit(main())
