"""`python -m polku` is the `polku` command."""
from polku.cli import main

main()
