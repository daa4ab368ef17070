"""Great Expectations suites as code: one module per dataset, run by expectations.runner.

Each `build_suite()` gathers its expectations in a list and builds the suite from it: `add_expectation` on a
suite whose name the lake's GX project already stores writes that suite to disk once per expectation.
"""
