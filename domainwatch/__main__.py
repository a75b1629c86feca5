from domainwatch.cli import main

main()
