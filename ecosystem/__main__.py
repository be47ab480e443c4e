from ecosystem.cli import run

run()
