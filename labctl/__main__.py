from labctl.cli.main import run

run()
