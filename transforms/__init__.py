"""Pure DataFrame -> DataFrame transforms: no I/O, no SparkSession, no actions."""
