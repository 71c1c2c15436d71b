from tokenlens.cli import main

main()
