"""Container ENTRYPOINT: MLCube calls ``<task> --param=path ...``; hand it to the package CLI unchanged."""
import sys

from benchmark.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
