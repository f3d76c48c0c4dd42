"""pytest plugin for testing workflows with wf (fixtures arrive with the testing harness)."""
