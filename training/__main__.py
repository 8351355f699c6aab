import sys

from training.cli import main

if __name__ == "__main__":  # train's plot worker is spawned and must not run the CLI again
    sys.exit(main())
