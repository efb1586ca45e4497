from flyfab.cli import main

main()
