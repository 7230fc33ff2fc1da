def pytest_configure(config):
    config.addinivalue_line("markers", "bench: runs the benchmark suite's small version (bench/run_all.py --small)")
