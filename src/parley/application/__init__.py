"""Use cases (one verb each) and the ports they need. Imports only the domain."""
