"""Use cases: what the platform, the command line and the workers ask of the domain, one function each."""
