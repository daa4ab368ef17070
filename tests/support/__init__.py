"""Support code for the tests: landing-folder builders, CLI helpers, independent references and the
scenario lakes end-to-end tests share. Nothing here is collected as a test; no test module is imported."""
