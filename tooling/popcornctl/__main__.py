from popcornctl.cli import main

main()
