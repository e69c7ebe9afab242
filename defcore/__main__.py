from defcore.cli import main

main()
