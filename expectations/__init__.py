"""Great Expectations suites as code: one module per dataset, run by expectations.runner."""
