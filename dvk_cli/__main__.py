from dvk_cli.cli.app import main

main()
